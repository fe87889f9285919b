package io.jtune.model;

import static io.jtune.model.GoldenParityTest.inputs;
import static io.jtune.model.GoldenParityTest.weightsOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.io.peft.PissaConversion;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.tensor.Matrix;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PiSSA's fast SVD, a trained PiSSA adapter saved and loaded back, and its conversion to a plain LoRA. */
class PissaTest {
    private static final Path QWEN2 = Path.of("src/test/resources/goldens/qwen2");

    /** s·B·A [out x in] of an initialisation. */
    private static double[] product(PissaInit.Result r, int out, int in, int rank, float scale) {
        double[] p = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < rank; i++) {
                for (int c = 0; c < in; c++) p[o * in + c] += scale * (double) r.b()[o * rank + i] * r.a()[i * in + c];
            }
        }
        return p;
    }

    /** U·diag(σ)·Vᵀ with orthonormal random U, V and σ_i = 2^-i: a spectrum the fast SVD resolves. */
    private static Matrix decayingSpectrum(int out, int in, long seed) {
        Random rnd = new Random(seed);
        int k = Math.min(out, in);
        double[][] u = orthonormalColumns(out, k, rnd), v = orthonormalColumns(in, k, rnd);
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                double sum = 0;
                for (int i = 0; i < k; i++) sum += u[o][i] * Math.pow(2, -i) * v[c][i];
                w[o * in + c] = (float) sum;
            }
        }
        return Matrix.of(w, out, in);
    }

    private static double[][] orthonormalColumns(int rows, int cols, Random rnd) {
        double[][] m = new double[rows][cols];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) m[i][j] = rnd.nextGaussian();
            for (int pass = 0; pass < 2; pass++) {
                for (int q = 0; q < j; q++) {
                    double dot = 0;
                    for (int i = 0; i < rows; i++) dot += m[i][j] * m[i][q];
                    for (int i = 0; i < rows; i++) m[i][j] -= dot * m[i][q];
                }
            }
            double norm = 0;
            for (int i = 0; i < rows; i++) norm += m[i][j] * m[i][j];
            for (int i = 0; i < rows; i++) m[i][j] /= Math.sqrt(norm);
        }
        return m;
    }

    @Test
    void fastSvdIsDeterministicAndFindsTheTopSubspace() {
        // torch.svd_lowrank works on Wᵀ for the first three shapes, on W itself for the last (in = q)
        for (int[] shape : new int[][] {{48, 20}, {20, 48}, {30, 30}, {12, 4}}) {
            Matrix w = decayingSpectrum(shape[0], shape[1], 7);
            int rank = 4;
            float scale = 2f;
            PissaInit.Result exact = PissaInit.of("m", w, rank, scale, new FinetuneSpec.Pissa(-1), null, 1);
            PissaInit.Result fast = PissaInit.of("m", w, rank, scale, new FinetuneSpec.Pissa(16), null, 1);
            PissaInit.Result again = PissaInit.of("m", w, rank, scale, new FinetuneSpec.Pissa(16), null, 1);
            assertArrayEquals(fast.a(), again.a(), 0f, "the same seed gives the same factors");
            assertArrayEquals(fast.b(), again.b(), 0f);
            double[] want = product(exact, shape[0], shape[1], rank, scale), got = product(fast, shape[0], shape[1], rank, scale);
            double diff = 0, norm = 0;
            for (int i = 0; i < want.length; i++) {
                diff += (want[i] - got[i]) * (want[i] - got[i]);
                norm += want[i] * want[i];
            }
            assertTrue(Math.sqrt(diff / norm) < 1e-5, "fast vs exact s·B·A: " + Math.sqrt(diff / norm));
            // W = residual + s·B·A, whichever SVD
            float[] row = new float[shape[1]], res = new float[shape[1]];
            for (int o = 0; o < shape[0]; o++) {
                w.readRow(o, 0, shape[1], row, 0);
                fast.residual().readRow(o, 0, shape[1], res, 0);
                for (int c = 0; c < shape[1]; c++) assertEquals(row[c], res[c] + got[o * shape[1] + c], 1e-5);
            }
        }
    }

    @Test
    void trainedPissaAdapterReloadsAndConvertsToAPlainLoraThatReproducesIt(@TempDir Path tmp) throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2)) {
            var lora = new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of()).withPissa(new FinetuneSpec.Pissa(16));
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.lora(lora), CausalLM.Options.defaults());
            Batch batch = inputs(QWEN2);
            CausalLM base = ModelBuilder.frozen(hf.config(), weightsOf(hf));
            double[] before = base.forward(batch, null, false, null).tokenLogProbs();
            assertClose("PiSSA starts as the base model", model.forward(batch, false).tokenLogProbs(), before, 1e-5);

            float[] initial = model.parameterValues().clone();
            AdamW adamw = new AdamW(model.parameterValues(), model.gradients(),
                    ParamGroup.hfDefault(model.trainableParameters(), 0.0), 0.9, 0.999, 1e-8);
            for (int step = 0; step < 3; step++) {
                model.zeroGrad();
                model.forwardBackward(batch, 0.05f);
                adamw.step(1e-2);
            }
            double[] trained = model.forward(batch, false).tokenLogProbs();
            assertTrue(Math.abs(trained[5] - before[5]) > 1e-3, "training moved the model");

            LoraAdapterConfig config = new LoraAdapterConfig(4, 8, 0, model.adapter().targetModules(), false, List.of(), "qwen2")
                    .withMethod(false, lora.pissa().initLoraWeights());
            // The trained adapter as LLaMA-Factory's output_dir holds it: loading re-derives the same residual.
            Path saved = tmp.resolve("pissa");
            java.nio.file.Files.createDirectories(saved);
            PeftAdapters.writeWeights(model.trainable(), saved.resolve("adapter_model.safetensors"));
            config.write(saved);
            LoraAdapter reloaded = PeftAdapters.load(base, "pissa", saved);
            assertClose("reloaded PiSSA adapter", base.forward(batch, reloaded, false, null).tokenLogProbs(), trained, 0);

            // pissa_converted: a rank-2r plain LoRA over the original weights.
            Path converted = tmp.resolve("pissa_converted");
            PissaConversion.write(converted, model.trainableParameters(), model.parameterValues(), initial, config);
            LoraAdapterConfig convertedConfig = LoraAdapterConfig.read(converted);
            assertEquals(8, convertedConfig.r());
            assertEquals(16.0, convertedConfig.loraAlpha());
            assertEquals("true", convertedConfig.initLoraWeights());
            try (SafetensorsFile file = SafetensorsFile.open(converted.resolve("adapter_model.safetensors"))) {
                assertArrayEquals(new long[] {8, 32}, file.find("base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight").shape());
                assertArrayEquals(new long[] {64, 8}, file.find("base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight").shape());
                assertEquals(2 * 7 * 2, file.names().size());
            }
            LoraAdapter plain = PeftAdapters.load(base, "converted", converted);
            assertEquals(null, plain.config().pissa());
            assertClose("converted LoRA over the original base", base.forward(batch, plain, false, null).tokenLogProbs(), trained, 1e-5);
        }
    }

    /** PEFT allows both: PiSSA's factors over the residual, then DoRA's magnitude at ‖W_res + s·B·A‖ = ‖W‖; the start is the base. */
    @Test
    void pissaWithDoraStartsAsTheBase() throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2)) {
            var lora = new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of()).withPissa(new FinetuneSpec.Pissa(-1)).withDora(true);
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.lora(lora), CausalLM.Options.defaults());
            CausalLM base = ModelBuilder.frozen(hf.config(), weightsOf(hf));
            Batch batch = inputs(QWEN2);
            assertClose("PiSSA + DoRA at the start", model.forward(batch, false).tokenLogProbs(),
                    base.forward(batch, null, false, null).tokenLogProbs(), 1e-5);
            assertEquals(2 * 7 * 3, model.trainableParameters().size());
        }
    }

    @Test
    void rsloraConversionKeepsTheScale() {
        LoraAdapterConfig c = new LoraAdapterConfig(8, 16, 0, List.of("q_proj"), true, List.of(), "m").withMethod(false, "pissa_niter_4");
        LoraAdapterConfig converted = PissaConversion.converted(c);
        assertEquals(16, converted.r());
        assertEquals(16 / Math.sqrt(8), converted.loraAlpha() / Math.sqrt(16), 1e-12);
    }

    private static void assertClose(String what, double[] actual, double[] expected, double tolerance) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        assertTrue(Math.sqrt(diff / norm) <= tolerance, what + ": relative error " + Math.sqrt(diff / norm));
    }
}
