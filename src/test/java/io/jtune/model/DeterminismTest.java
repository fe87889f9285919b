package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.nn.ParallelTasks;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Same seed and inputs give bit-identical losses and parameters across runs and thread counts. */
class DeterminismTest {
    private final int defaultThreads = ParallelTasks.threads();

    @AfterEach
    void restoreThreads() {
        ParallelTasks.setThreads(defaultThreads);
    }

    /** Three AdamW steps of LoRA (with dropout) on qwen2; returns the losses and the final parameters. */
    private static Object[] train(int threads) {
        ParallelTasks.setThreads(threads);
        var lora = new FinetuneSpec.Lora(4, null, 0.1, List.of("all"), false, List.of());
        ModelConfig c = TinyModels.config("qwen2");
        // Wider than the tiny default so that the parallel loops really split.
        ModelConfig wide = ModelConfig.builder().modelType(c.modelType())
                .vocabSize(300).hiddenSize(64).intermediateSize(96).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(128)
                .rmsNormEps(c.rmsNormEps()).rope(c.rope())
                .tieWordEmbeddings(c.tieWordEmbeddings()).attentionBias(true)
                .eosTokenIds(List.of(2)).dtype(c.dtype())
                .build();
        CausalLM model = ModelBuilder.build(wide, new RandomWeights(wide, 1, io.jtune.tensor.DType.BF16),
                FinetuneSpec.lora(lora), new CausalLM.Options(false, 5));
        AdamW opt = AdamW.withDefaults(model.parameterValues(), model.gradients(),
                ParamGroup.hfDefault(model.trainableParameters(), 0.01));
        double[] losses = new double[3];
        Batch batch = TinyModels.batch(300);
        for (int s = 0; s < 3; s++) {
            model.zeroGrad();
            StepLoss loss = model.forwardBackward(batch, 1f / 10);
            model.clipGradientNorm(1.0);
            opt.step(1e-2);
            losses[s] = loss.sum();
        }
        return new Object[] {losses, model.parameterValues().clone()};
    }

    @Test
    void bitIdenticalAcrossRunsAndThreadCounts() {
        Object[] reference = train(1);
        for (int threads : new int[] {1, 2, 3}) {
            Object[] run = train(threads);
            assertArrayEquals((double[]) reference[0], (double[]) run[0], 0.0, "losses with " + threads + " threads");
            assertArrayEquals((float[]) reference[1], (float[]) run[1], 0f, "parameters with " + threads + " threads");
        }
        double[] losses = (double[]) reference[0];
        assertEquals(true, losses[2] < losses[0], "training lowers the loss: " + java.util.Arrays.toString(losses));
    }
}
