package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.RandomWeights;
import io.jtune.tensor.DType;
import io.jtune.train.checkpoint.FlatWeightsCheckpoint;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir Path out;

    static final ModelConfig CONFIG = ModelConfig.builder().modelType("llama")
            .vocabSize(31).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
            .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(128)
            .rmsNormEps(1e-5)
            .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
            .build();

    /** 5 micro-batches of 2 rows, reshuffled per epoch from (seed, epoch) only. */
    static final class SyntheticBatches implements TrainBatches {
        @Override public int batchesPerEpoch() { return 5; }

        @Override
        public Batch batch(int epoch, int index) {
            Random r = new Random(1000L * epoch + index);
            int len = 5 + r.nextInt(4);
            int[][] ids = new int[2][len], labels = new int[2][len];
            for (int row = 0; row < 2; row++) {
                for (int t = 0; t < len; t++) {
                    ids[row][t] = r.nextInt(CONFIG.vocabSize());
                    labels[row][t] = t < 2 ? -100 : ids[row][t];
                }
            }
            return Batch.of(ids, labels);
        }
    }

    record Run(Trainer trainer, CausalLM model, List<Double> losses) {}

    private Run newRun(Path outputDir, int stopAfter) {
        FinetuneSpec spec = FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.1, List.of("all"), false, List.of()));
        CausalLM model = ModelBuilder.build(CONFIG, new RandomWeights(CONFIG, 3, DType.F32, 0.3), spec, new CausalLM.Options(false, 5));
        AdamW adamw = new AdamW(model.parameterValues(), model.gradients(),
                ParamGroup.hfDefault(model.trainableParameters(), 0.01), 0.9, 0.999, 1e-8);
        TrainingPlan plan = TrainingPlan.of(5, 2, 3, 0, 1, 0, 2);
        LearningRateSchedule schedule = LearningRateSchedule.create("cosine", 5e-3, 1, plan.totalSteps(), Map.of());
        List<Double> losses = new ArrayList<>();
        Trainer[] self = new Trainer[1];
        TrainerListener listener = new TrainerListener() {
            @Override
            public void onLog(StepLog log) {
                losses.add(log.loss());
                if (log.step() == stopAfter) self[0].requestStop();
            }
        };
        Trainer trainer = new Trainer(new Trainer.Settings(plan, 1.0, false, false, false, false, null, 42),
                model, new io.jtune.train.objective.TokenCrossEntropy(), adamw, schedule, new SyntheticBatches(), List.of(), new FlatWeightsCheckpoint(model, "adapter_model.safetensors"),
                outputDir, listener);
        self[0] = trainer;
        return new Run(trainer, model, losses);
    }

    @Test
    void resumeContinuesTheLossCurveBitForBit() throws IOException {
        Run full = newRun(out.resolve("full"), -1);
        TrainOutcome o = full.trainer().run();
        assertEquals(9, o.globalStep()); // 3 epochs x ceil(5/2) updates
        assertEquals(9, full.losses().size());

        Run first = newRun(out.resolve("split"), 5);
        TrainOutcome stopped = first.trainer().run();
        assertTrue(stopped.interrupted());
        assertEquals(5, stopped.globalStep());
        assertTrue(Files.isDirectory(out.resolve("split/checkpoint-5")), "a stop saves a checkpoint");

        Run second = newRun(out.resolve("split"), -1);
        second.trainer().resumeFrom(out.resolve("split/checkpoint-5"));
        second.trainer().run();
        List<Double> stitched = new ArrayList<>(first.losses());
        stitched.addAll(second.losses());
        assertEquals(full.losses(), stitched, "identical losses, bit for bit");
        assertEquals(java.util.Arrays.toString(full.model().parameterValues()), java.util.Arrays.toString(second.model().parameterValues()));
    }

    @Test
    void checkpointsArePrunedToTheLimit() throws IOException {
        Run run = newRun(out, -1);
        run.trainer().run();
        // save every 2 steps of 9: checkpoint-2,4,6,8 without a limit
        assertEquals(4, new io.jtune.train.checkpoint.CheckpointDirectory(out).list().size());
    }

    @Test
    void saveStrategyEpochSavesAtEachEpochsEnd() throws IOException {
        Run run = newRun(out, -1);
        CausalLM model = run.model();
        Trainer trainer = new Trainer(new Trainer.Settings(TrainingPlan.of(5, 2, 3, 0, 1, 0, 0), 1.0, false, false, false, true, null, 42),
                model, new io.jtune.train.objective.TokenCrossEntropy(), new AdamW(model.parameterValues(), model.gradients(),
                        ParamGroup.hfDefault(model.trainableParameters(), 0), 0.9, 0.999, 1e-8),
                LearningRateSchedule.create("constant", 1e-3, 0, 9, Map.of()), new SyntheticBatches(), List.of(),
                new FlatWeightsCheckpoint(model, "adapter_model.safetensors"), out, new TrainerListener() {});
        trainer.run();
        // 3 epochs of ceil(5 / 2) = 3 updates
        assertEquals(List.of(out.resolve("checkpoint-3"), out.resolve("checkpoint-6"), out.resolve("checkpoint-9")),
                new io.jtune.train.checkpoint.CheckpointDirectory(out).list());
    }

    @Test
    void aNonFiniteLossStopsWithTheStepAndTheLastCheckpoint() {
        Run run = newRun(out, -1);
        Trainer trainer = new Trainer(new Trainer.Settings(TrainingPlan.of(5, 2, 3, 0, 1, 0, 2), 1.0, false, false, false, false, null, 42),
                run.model(), new io.jtune.train.objective.TokenCrossEntropy(), new AdamW(run.model().parameterValues(), run.model().gradients(),
                        ParamGroup.hfDefault(run.model().trainableParameters(), 0), 0.9, 0.999, 1e-8),
                LearningRateSchedule.create("constant", 1e-3, 0, 9, Map.of()), new SyntheticBatches(), List.of(),
                new FlatWeightsCheckpoint(run.model(), "adapter_model.safetensors"), out, new TrainerListener() {
                    @Override
                    public void onCheckpoint(int step, Path checkpoint) {
                        java.util.Arrays.fill(run.model().parameterValues(), Float.NaN); // poison after the first save
                    }
                });
        JtuneException e = assertThrows(JtuneException.class, trainer::run);
        assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("checkpoint-2"), e.getMessage());
    }
}
