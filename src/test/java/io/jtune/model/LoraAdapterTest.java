package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Several adapters over one base: each pass and session picks one, and training one leaves the others alone. */
class LoraAdapterTest {
    private static void randomize(LoraAdapter adapter, long seed) {
        Random rnd = new Random(seed);
        float[] v = adapter.parameters().values();
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.3);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void adaptersShareOneFrozenBase() {
        ModelConfig c = TinyModels.config("qwen2");
        CausalLM base = ModelBuilder.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        assertEquals(0, base.trainableParameterCount(), "the base trains nothing");
        LoraAdapter sales = LoraAdapter.attach(base, "sales", new FinetuneSpec.Lora(4, null, 0, List.of("q_proj", "v_proj"), false, List.of()), 1);
        LoraAdapter support = LoraAdapter.attach(base, "support", new FinetuneSpec.Lora(2, 8.0, 0, List.of("all"), false, List.of("embed_tokens")), 2);
        randomize(sales, 3);
        randomize(support, 4);
        assertEquals(List.of("q_proj", "v_proj"), sales.targetModules());
        assertEquals(7, support.targetModules().size());

        int[] ids = {3, 17, 5, 28, 0, 9};
        float[] none = new InferenceSession(base, null).appendAll(ids);
        float[] a = new InferenceSession(base, sales).appendAll(ids);
        float[] b = new InferenceSession(base, support).appendAll(ids);
        assertTrue(maxAbsDiff(none, a) > 1e-3 && maxAbsDiff(none, b) > 1e-3 && maxAbsDiff(a, b) > 1e-3, "each adapter changes the logits its own way");
        float[] again = new InferenceSession(base, sales).appendAll(ids);
        assertEquals(0.0, maxAbsDiff(a, again), "adapters do not disturb each other or the base");

        // A forward pass with an adapter matches a decode session with it (one block for both).
        Batch batch = Batch.of(new int[][] {ids}, new int[][] {ids});
        ForwardOutput out = base.forward(batch, support, false, null);
        float[] logits = new InferenceSession(base, support).appendAll(ids);
        double lp = 0;
        for (int t = 0; t < ids.length - 1; t++) {
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int v = 0; v < c.vocabSize(); v++) max = Math.max(max, logits[t * c.vocabSize() + v]);
            for (int v = 0; v < c.vocabSize(); v++) s += Math.exp(logits[t * c.vocabSize() + v] - max);
            lp += logits[t * c.vocabSize() + ids[t + 1]] - max - Math.log(s);
        }
        assertEquals(lp, out.sequenceLogProbs()[0], 1e-4);

        // Training one adapter leaves the other's gradients untouched.
        float[] before = support.parameters().values().clone();
        sales.parameters().zeroGrad();
        support.parameters().zeroGrad();
        ForwardOutput pass = base.forward(batch, sales, true, null);
        float[] d = new float[batch.tokens()];
        java.util.Arrays.fill(d, -1f);
        base.backward(pass, d, null);
        assertTrue(sales.parameters().gradientNorm() > 0);
        assertEquals(0.0, support.parameters().gradientNorm());
        assertEquals(0.0, maxAbsDiff(before, support.parameters().values()));
        assertNotEquals(0.0, maxAbsDiff(base.mergedWeight("model.layers.0.self_attn.q_proj.weight", sales),
                base.mergedWeight("model.layers.0.self_attn.q_proj.weight", null)));
    }

    @Test
    void anAdapterBelongsToItsBase() {
        ModelConfig c = TinyModels.config("llama");
        CausalLM one = ModelBuilder.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        CausalLM other = ModelBuilder.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        LoraAdapter adapter = LoraAdapter.attach(one, "a", FinetuneSpec.Lora.defaults(), 1);
        assertThrows(io.jtune.JtuneException.class, () -> new InferenceSession(other, adapter));
    }
}
