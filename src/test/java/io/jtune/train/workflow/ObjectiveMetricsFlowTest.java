package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.config.ConfigLoader;
import io.jtune.config.TrainingArguments;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ForwardOutput;
import io.jtune.model.ModelBuilder;
import io.jtune.model.RandomWeights;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import io.jtune.train.LearningRateSchedule;
import io.jtune.train.TensorBoardEvents;
import io.jtune.train.TrainBatches;
import io.jtune.train.TrainOutcome;
import io.jtune.train.Trainer;
import io.jtune.train.TrainingPlan;
import io.jtune.train.checkpoint.FlatWeightsCheckpoint;
import io.jtune.train.objective.Loss;
import io.jtune.train.objective.Metric;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.TokenCrossEntropy;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An objective's named metrics reach every file a run writes, unchanged: trainer_log.jsonl,
 * trainer_state.json's log_history, TensorBoard, the results files (as eval_ + name) and the plots.
 * A test-only objective, cross-entropy that also reports the share of tokens that are labels, is
 * trained through the Trainer with the workflow's log files listening.
 */
class ObjectiveMetricsFlowTest {
    static final String METRIC = "tokens/label_fraction";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path out;

    static final ModelConfig CONFIG = ModelConfig.builder().vocabSize(31).hiddenSize(16).intermediateSize(24)
            .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).headDim(4).maxPositionEmbeddings(128)
            .rmsNormEps(1e-5).bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32).build();

    /** Cross-entropy, plus label tokens / tokens as a sum and a count, so windows and intervals pool exactly. */
    static final class LabelFractionCrossEntropy implements Objective {
        private final TokenCrossEntropy crossEntropy = new TokenCrossEntropy();

        @Override public double normaliser(Batch batch) { return crossEntropy.normaliser(batch); }

        @Override public float[] fixedTokenWeights(Batch batch) { return crossEntropy.fixedTokenWeights(batch); }

        @Override
        public Loss loss(ForwardOutput out) {
            Loss ce = crossEntropy.loss(out);
            Metric fraction = Metric.of(TokenCrossEntropy.labelTokens(out.batch()), out.batch().tokens());
            return new Loss(ce.sum(), Map.of(METRIC, fraction), ce.dLogProbs(), ce.dHidden());
        }
    }

    /** Batches of 2 rows and random lengths whose first two tokens of a row are prompt (no label). */
    static Batch batch(long seed) {
        Random r = new Random(seed);
        int len = 5 + r.nextInt(6);
        int[][] ids = new int[2][len], labels = new int[2][len];
        for (int row = 0; row < 2; row++) {
            int prompt = 1 + r.nextInt(3);
            for (int t = 0; t < len; t++) {
                ids[row][t] = r.nextInt(CONFIG.vocabSize());
                labels[row][t] = t < prompt ? Batch.IGNORE_INDEX : ids[row][t];
            }
        }
        return Batch.of(ids, labels);
    }

    /** 4 micro-batches an epoch, the same every epoch (no shuffle): what a step sees is easy to know. */
    static final class FourBatches implements TrainBatches {
        @Override public int batchesPerEpoch() { return 4; }

        @Override public Batch batch(int epoch, int index) { return ObjectiveMetricsFlowTest.batch(index); }
    }

    /** The metric pooled over batches: their label tokens over their tokens. */
    static double labelFraction(List<Batch> batches) {
        double labels = 0, tokens = 0;
        for (Batch b : batches) {
            labels += TokenCrossEntropy.labelTokens(b);
            tokens += b.tokens();
        }
        return labels / tokens;
    }

    @Test
    void anObjectivesMetricsReachEveryFileOfTheRun() throws IOException {
        CausalLM model = ModelBuilder.build(CONFIG, new RandomWeights(CONFIG, 3, DType.F32, 0.3),
                FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())), new CausalLM.Options(false, 5));
        // 2 epochs of 4 micro-batches, accumulation 2: 4 steps, each logged; an evaluation every 2 steps and at the end
        TrainingPlan plan = TrainingPlan.of(4, 2, 2, 0, 1, 2, 0);
        List<Batch> eval = List.of(batch(100), batch(101), batch(102));
        TrainingArguments args = ConfigLoader.fromMap("test", Map.of("model_name_or_path", "m", "output_dir", out.toString(),
                "report_to", "tensorboard", "overwrite_output_dir", true, "num_train_epochs", 2), List.of()).training();
        TrainingLogFiles files = new TrainingLogFiles(out, args, true, List.of("loss", "eval_loss", METRIC));
        Trainer trainer = new Trainer(new Trainer.Settings(plan, 1.0, false, false, true, false, null, 42), model,
                new LabelFractionCrossEntropy(),
                new AdamW(model.parameterValues(), model.gradients(), ParamGroup.hfDefault(model.trainableParameters(), 0.0), 0.9, 0.999, 1e-8),
                LearningRateSchedule.create("constant", 1e-3, 0, plan.totalSteps(), Map.of()), new FourBatches(), eval,
                new FlatWeightsCheckpoint(model, "adapter_model.safetensors"), out, TrainerListeners.all(List.of(files)));
        TrainOutcome outcome = trainer.run();

        // what each step saw: micro-batches (0, 1) then (2, 3), in both epochs
        double firstHalf = labelFraction(List.of(batch(0), batch(1))), secondHalf = labelFraction(List.of(batch(2), batch(3)));
        List<Double> expectedTrain = List.of(firstHalf, secondHalf, firstHalf, secondHalf);
        double expectedEval = labelFraction(eval);
        assertTrue(firstHalf != secondHalf, "the two windows differ, so a mix-up would show");
        assertEquals(Map.of(METRIC, expectedEval), outcome.finalEvalMetrics(), "the outcome carries the final evaluation's metrics");

        // trainer_log.jsonl: each training line carries the metric, each evaluation line eval_ + its name
        List<Double> trainLogged = new ArrayList<>(), evalLogged = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("loss")) trainLogged.add(n.get(METRIC).asDouble());
            if (n.has("eval_loss")) evalLogged.add(n.get("eval_" + METRIC).asDouble());
        }
        assertEquals(expectedTrain, trainLogged);
        // steps 2 and 4; the evaluation at step 4 is the final one (evaluated and logged once, as LLaMA-Factory does)
        List<Double> twoEvaluations = List.of(expectedEval, expectedEval);
        assertEquals(twoEvaluations, evalLogged);

        // trainer_state.json's log_history: the same values under the same names
        List<Double> trainHistory = new ArrayList<>(), evalHistory = new ArrayList<>();
        for (JsonNode entry : JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history")) {
            if (entry.has("loss")) trainHistory.add(entry.get(METRIC).asDouble());
            if (entry.has("eval_loss")) evalHistory.add(entry.get("eval_" + METRIC).asDouble());
        }
        assertEquals(expectedTrain, trainHistory);
        assertEquals(twoEvaluations, evalHistory, "the final evaluation once in log_history");

        // TensorBoard: train/<name> and eval/<name>, as the HF callback rewrites the keys
        Map<String, List<Float>> scalars = new HashMap<>();
        for (TensorBoardEvents.Event e : TensorBoardEvents.read(eventFile())) {
            e.scalars().forEach((tag, value) -> scalars.computeIfAbsent(tag, k -> new ArrayList<>()).add(value));
        }
        assertEquals(expectedTrain.stream().map(Double::floatValue).toList(), scalars.get("train/" + METRIC));
        assertEquals(twoEvaluations.stream().map(Double::floatValue).toList(), scalars.get("eval/" + METRIC));

        // the results files: the final evaluation's metrics beside eval_loss
        for (String file : List.of("eval_results.json", "all_results.json")) {
            JsonNode results = JSON.readTree(out.resolve(file).toFile());
            assertEquals(expectedEval, results.get("eval_" + METRIC).asDouble(), file);
            assertTrue(results.has("eval_loss"), file);
        }

        // the plots: the stage's keys, "/" in a key becoming "_" in the file name
        for (String png : List.of("training_loss.png", "training_eval_loss.png", "training_tokens_label_fraction.png")) {
            assertTrue(Files.exists(out.resolve(png)), png + " missing");
        }
    }

    @Test
    void anEvaluationOnlyRunWritesTheMetricsBesideEvalLoss() throws IOException {
        CausalLM model = ModelBuilder.build(CONFIG, new RandomWeights(CONFIG, 3, DType.F32, 0.3), FinetuneSpec.full(),
                new CausalLM.Options(false, 5));
        List<Batch> eval = List.of(batch(7), batch(8));
        var evaluation = EvaluationOnly.run(model, new LabelFractionCrossEntropy(), eval, out);
        JsonNode results = JSON.readTree(out.resolve("eval_results.json").toFile());
        assertEquals(evaluation.loss(), results.get("eval_loss").asDouble());
        assertEquals(labelFraction(eval), results.get("eval_" + METRIC).asDouble());
        List<String> keys = new ArrayList<>();
        results.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("eval_loss", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "eval_" + METRIC), keys,
                "sorted, as HF writes the file");
    }

    private Path eventFile() throws IOException {
        try (Stream<Path> files = Files.walk(out.resolve("runs"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).findFirst().orElseThrow();
        }
    }
}
