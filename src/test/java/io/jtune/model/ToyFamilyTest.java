package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.arch.Llama;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Kernels;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The "a family is one declaration" claim, tested from outside the registry: a Llama variant whose
 * MLP uses GeGLU (tanh-approximated GELU, the activation Gemma uses) is declared here, in test code
 * only, and trains through the public builder — with finite-difference gradients, a falling loss,
 * and KV-cached decoding that matches the full forward.
 */
class ToyFamilyTest {
    /** gelu_tanh(g) ⊙ up with its derivative, written here and nowhere in the engine. */
    static final class GeluTanhGated implements GatedActivation {
        private static final double C = Math.sqrt(2 / Math.PI);

        @Override public String hfName() { return "gelu_pytorch_tanh"; }

        @Override public void forward(Kernels k, float[] gate, float[] up, float[] out, int n) {
            for (int i = 0; i < n; i++) out[i] = (float) (gelu(gate[i]) * up[i]);
        }

        @Override public void backward(Kernels k, float[] dOut, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
            for (int i = 0; i < n; i++) {
                double g = gate[i], inner = C * (g + 0.044715 * g * g * g), t = Math.tanh(inner);
                double dGelu = 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * C * (1 + 3 * 0.044715 * g * g);
                dUp[i] += (float) (dOut[i] * gelu(gate[i]));
                dGate[i] += (float) (dOut[i] * up[i] * dGelu);
            }
        }

        private static double gelu(double g) {
            return 0.5 * g * (1 + Math.tanh(C * (g + 0.044715 * g * g * g)));
        }
    }

    static final ModelFamily TOY = Llama.FAMILY.withActivation("toy_geglu_llama", new GeluTanhGated());

    static ModelConfig config() {
        return ModelConfig.builder().modelType("toy_geglu_llama").vocabSize(29).hiddenSize(16).intermediateSize(24)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64)
                .rmsNormEps(1e-5).rope(RopeConfig.plain(10000)).hiddenAct("gelu_pytorch_tanh").build();
    }

    static CausalLM build(FinetuneSpec spec) {
        ModelConfig c = config();
        return ModelBuilder.build(TOY, c, new RandomWeights(TOY, c, 7, DType.F32, 0.3), spec, new CausalLM.Options(false, 11));
    }

    @Test
    void fullTuningGradientsMatchFiniteDifferences() {
        CausalLM model = build(FinetuneSpec.full());
        Batch batch = TinyModels.batch(29);
        model.zeroGrad();
        model.forwardBackward(batch, 1f);
        float[] grads = model.gradients().clone();
        float[] values = model.parameterValues();
        Random rnd = new Random(1);
        for (TrainableParameter p : model.trainableParameters()) {
            float[] d = new float[p.size()];
            double analytic = 0, dNorm = 0, gNorm = 0;
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) rnd.nextGaussian();
                analytic += (double) grads[p.offset() + i] * d[i];
                dNorm += (double) d[i] * d[i];
                gNorm += (double) grads[p.offset() + i] * grads[p.offset() + i];
            }
            float[] saved = Arrays.copyOfRange(values, p.offset(), p.offset() + p.size());
            float eps = 1e-3f;
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                for (int i = 0; i < d.length; i++) values[p.offset() + i] = saved[i] + (side == 0 ? eps : -eps) * d[i];
                losses[side] = model.evaluate(batch).sum();
            }
            System.arraycopy(saved, 0, values, p.offset(), saved.length);
            double numeric = (losses[0] - losses[1]) / (2 * eps);
            assertTrue(gNorm > 0, p.name() + " has no gradient");
            assertEquals(analytic, numeric, 1e-2 * Math.sqrt(gNorm * dNorm), p.name());
        }
    }

    @Test
    void theDeclaredActivationIsTheOneThatRuns() {
        ModelConfig toy = config();
        ModelConfig llama = toy.toBuilder().modelType("llama").hiddenAct("silu").build();
        RandomWeights weights = new RandomWeights(TOY, toy, 7, DType.F32, 0.3);
        CausalLM a = ModelBuilder.build(TOY, toy, weights, FinetuneSpec.full(), CausalLM.Options.defaults());
        CausalLM b = ModelBuilder.build(llama, weights, FinetuneSpec.full(), CausalLM.Options.defaults());
        Batch batch = TinyModels.batch(29);
        assertTrue(Math.abs(a.evaluate(batch).sum() - b.evaluate(batch).sum()) > 1e-3, "GeGLU and SwiGLU give different losses");
    }

    @Test
    void loraTrainsAndTheLossFalls() {
        CausalLM model = build(FinetuneSpec.lora(new FinetuneSpec.Lora(4, null, 0.0, List.of("all"), false, List.of())));
        Batch batch = TinyModels.batch(29);
        double first = model.evaluate(batch).mean();
        for (int step = 0; step < 30; step++) {
            model.zeroGrad();
            StepLoss loss = model.forwardBackward(batch, 1f / 10);
            float[] v = model.parameterValues(), g = model.gradients();
            for (int i = 0; i < v.length; i++) v[i] -= 0.05f * g[i];
            assertTrue(Double.isFinite(loss.sum()));
        }
        double last = model.evaluate(batch).mean();
        assertTrue(last < first - 0.05, "loss " + first + " -> " + last);
    }

    @Test
    void decodingRunsTheSameBlock() {
        CausalLM model = build(FinetuneSpec.full());
        int[] ids = {3, 17, 5, 28, 0, 9};
        float[] full = model.forwardLogits(Batch.of(new int[][] {ids}, null));
        InferenceSession session = new InferenceSession(model);
        float[] prefill = session.appendAll(Arrays.copyOf(ids, 4));
        float[] step5 = session.append(ids[4]);
        float[] step6 = session.append(ids[5]);
        for (int v = 0; v < 29; v++) {
            assertEquals(full[3 * 29 + v], prefill[3 * 29 + v], 2e-5f);
            assertEquals(full[4 * 29 + v], step5[v], 2e-5f);
            assertEquals(full[5 * 29 + v], step6[v], 2e-5f);
        }
    }
}
