package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.tensor.DType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Incremental decoding with the KV cache reproduces the full-sequence forward, for every architecture. */
class InferenceSessionTest {
    private static final int SEQ = 11;

    private static int[] tokens(int vocab) {
        Random rnd = new Random(17);
        int[] ids = new int[SEQ];
        for (int i = 0; i < SEQ; i++) ids[i] = rnd.nextInt(vocab);
        return ids;
    }

    private static float[] fullLogits(CausalLM model, int[] ids) {
        return model.forwardLogits(Batch.of(new int[][] {ids}, null));
    }

    /** Prefills 4 tokens at once, then feeds the rest one at a time, collecting the logits after each. */
    private static float[] incrementalLogits(InferenceSession session, int[] ids) {
        int vocab = session.config().vocabSize();
        float[] out = new float[ids.length * vocab];
        float[] prefill = session.appendAll(java.util.Arrays.copyOf(ids, 4));
        System.arraycopy(prefill, 0, out, 0, prefill.length);
        for (int t = 4; t < ids.length; t++) System.arraycopy(session.append(ids[t]), 0, out, t * vocab, vocab);
        return out;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3", "glm4", "chatglm", "gpt2", "bloom", "falcon", "falcon_new"})
    void incrementalDecodingMatchesTheFullForward(String type) {
        ModelConfig c = TinyModels.config(type);
        CausalLM model = InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        int[] ids = tokens(c.vocabSize());
        float[] expected = fullLogits(model, ids);
        InferenceSession session = new InferenceSession(model);
        assertTrue(maxAbsDiff(expected, incrementalLogits(session, ids)) < 2e-5, type);
        assertEquals(SEQ, session.length());
        // Truncating to a shared prefix and continuing gives the same logits as the first time.
        session.truncate(6);
        float[] again = session.appendAll(java.util.Arrays.copyOfRange(ids, 6, SEQ));
        float[] tail = java.util.Arrays.copyOfRange(expected, 6 * c.vocabSize(), SEQ * c.vocabSize());
        assertTrue(maxAbsDiff(tail, again) < 2e-5, type);
    }

    /**
     * LongRoPE chooses its factors per forward call, as transformers does: a prompt appended in one
     * call past the original context (4 here) rotates with the long factors like the full forward;
     * appended token by token, the calls within the original context take the short ones.
     */
    @org.junit.jupiter.api.Test
    void longRopeChoosesItsFactorsPerCall() {
        ModelConfig c = TinyModels.config("phi3_long");
        CausalLM model = InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        int[] ids = tokens(c.vocabSize());
        float[] expected = fullLogits(model, ids);
        assertTrue(maxAbsDiff(expected, new InferenceSession(model).appendAll(ids)) < 2e-5);
        float[] stepwise = incrementalLogits(new InferenceSession(model), ids);
        int v = c.vocabSize();
        assertTrue(maxAbsDiff(java.util.Arrays.copyOfRange(expected, v, 4 * v), java.util.Arrays.copyOfRange(stepwise, v, 4 * v)) > 1e-4,
                "positions 1-3 alone stay within the original context: short factors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3", "glm4", "chatglm", "gpt2", "bloom", "falcon", "falcon_new"})
    void loraIsAppliedUnmergedAndCanBeSwitchedOff(String type) {
        ModelConfig c = TinyModels.config(type);
        RandomWeights weights = new RandomWeights(c, 7, DType.F32, 0.3);
        CausalLM lora = InferenceModels.withLora(c, weights, new FinetuneSpec.Lora(4, 16.0, 0.0, List.of("all"), false, List.of()));
        TinyModels.randomizeLoraB(lora);
        CausalLM base = InferenceModels.frozen(c, weights);
        int[] ids = tokens(c.vocabSize());

        InferenceSession session = new InferenceSession(lora);
        assertTrue(session.hasAdapter());
        float[] withAdapter = incrementalLogits(session, ids);
        assertTrue(maxAbsDiff(fullLogits(lora, ids), withAdapter) < 2e-5, type);

        session.setAdapterEnabled(false);
        assertEquals(0, session.length(), "switching the adapter empties the cache");
        float[] without = incrementalLogits(session, ids);
        assertTrue(maxAbsDiff(fullLogits(base, ids), without) < 2e-5, type);
        assertTrue(maxAbsDiff(withAdapter, without) > 1e-2, "the adapter changes the logits");
    }

    /** DoRA and PiSSA adapters decode like their full forward (DoRA's row norms memoised, PiSSA's residual in the view). */
    @ParameterizedTest
    @ValueSource(strings = {"dora", "pissa"})
    void doraAndPissaAdaptersDecodeLikeTheFullForward(String method) {
        ModelConfig c = TinyModels.config("qwen2");
        RandomWeights weights = new RandomWeights(c, 7, DType.BF16, 0.3);
        var lora = new FinetuneSpec.Lora(4, 16.0, 0.0, List.of("all"), false, List.of());
        lora = method.equals("dora") ? lora.withDora(true) : lora.withPissa(new FinetuneSpec.Pissa(8));
        CausalLM model = InferenceModels.withLora(c, weights, lora);
        TinyModels.randomizeLoraB(model);
        int[] ids = tokens(c.vocabSize());
        float[] full = fullLogits(model, ids);
        assertTrue(maxAbsDiff(full, incrementalLogits(new InferenceSession(model), ids)) < 2e-5, method);
        assertTrue(maxAbsDiff(full, fullLogits(InferenceModels.frozen(c, weights), ids)) > 1e-2, "the adapter changes the logits");
    }

    @Test
    void bf16WeightsDecodeLikeTheFullForward() {
        ModelConfig c = TinyModels.config("qwen2");
        CausalLM model = InferenceModels.frozen(c, new RandomWeights(c, 3, DType.BF16, 0.3));
        int[] ids = tokens(c.vocabSize());
        assertTrue(maxAbsDiff(fullLogits(model, ids), incrementalLogits(new InferenceSession(model), ids)) < 2e-5);
    }

    @Test
    void refusesToRunPastTheContext() {
        ModelConfig c = TinyModels.config("llama");
        InferenceSession session = new InferenceSession(InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3)));
        JtuneException e = assertThrows(JtuneException.class, () -> session.append(new int[c.maxPositionEmbeddings() + 1]));
        assertTrue(e.getMessage().contains("max_position_embeddings"), e.getMessage());
        assertThrows(JtuneException.class, () -> session.append(c.vocabSize()));
    }
}
