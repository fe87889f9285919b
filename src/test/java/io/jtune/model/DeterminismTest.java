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
        ModelConfig wide = new ModelConfig(c.modelType(), 300, 64, 96, 2, 4, 2, 16, 128, c.rmsNormEps(), c.rope(),
                c.tieWordEmbeddings(), true, false, false, false, null, "silu", null, List.of(2), null, c.dtype());
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
