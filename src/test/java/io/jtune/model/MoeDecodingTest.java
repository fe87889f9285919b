package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.MoeConfig;
import io.jtune.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Mixture-of-Experts families decode as they train: KV-cached decoding (InferenceSession) and
 * the batched decoder (BatchDecoder, several sequences in one pass, rows routed to experts across
 * sequences) give the full forward's logits, with and without LoRA on the experts.
 */
class MoeDecodingTest {
    /** Tiny configurations: every routing variant (renormalised or not, shared expert, dense layers). */
    static ModelConfig config(String type) {
        ModelConfig.Builder b = ModelConfig.builder().vocabSize(29).hiddenSize(16).numAttentionHeads(4).numKeyValueHeads(2)
                .maxPositionEmbeddings(128).rmsNormEps(1e-5).bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32);
        return switch (type) {
            case "mixtral" -> b.modelType("mixtral").intermediateSize(12).numHiddenLayers(2)
                    .moe(new MoeConfig(4, 2, 12, true, 0, 1, List.of(), 0.001)).build();
            // layer 1 dense (mlp_only_layers), a shared expert, top 2 of 5 not renormalised, q/k/v bias
            case "qwen2_moe" -> b.modelType("qwen2_moe").intermediateSize(24).numHiddenLayers(3).attentionBias(true)
                    .moe(new MoeConfig(5, 2, 8, false, 20, 1, List.of(1), 0.001)).build();
            // decoder_sparse_step 2: layer 0 dense, layer 1 sparse; q/k norms; top 3 of 6 renormalised
            case "qwen3_moe" -> b.modelType("qwen3_moe").intermediateSize(24).numHiddenLayers(2).headDim(8).qkNorm(true)
                    .moe(new MoeConfig(6, 3, 8, true, 0, 2, List.of(), 0.001)).build();
            default -> throw new IllegalArgumentException(type);
        };
    }

    static CausalLM frozen(ModelConfig c) {
        return InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
    }

    private static int[] tokens(int vocab, int n, long seed) {
        Random rnd = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(vocab);
        return ids;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "qwen3_moe"})
    void cachedDecodingMatchesTheFullForward(String type) {
        ModelConfig c = config(type);
        RandomWeights weights = new RandomWeights(c, 7, DType.F32, 0.3);
        CausalLM base = InferenceModels.frozen(c, weights);
        CausalLM lora = InferenceModels.withLora(c, weights, new FinetuneSpec.Lora(4, 16.0, 0.0, List.of("all"), false, List.of()));
        TinyModels.randomizeLoraB(lora);
        int[] ids = tokens(c.vocabSize(), 10, 17);
        for (CausalLM model : List.of(base, lora)) {
            float[] expected = model.forwardLogits(Batch.of(new int[][] {ids}, null));
            InferenceSession session = new InferenceSession(model);
            int vocab = c.vocabSize();
            float[] actual = new float[ids.length * vocab];
            System.arraycopy(session.appendAll(Arrays.copyOf(ids, 4)), 0, actual, 0, 4 * vocab);
            for (int t = 4; t < ids.length; t++) System.arraycopy(session.append(ids[t]), 0, actual, t * vocab, vocab);
            assertTrue(maxAbsDiff(expected, actual) < 2e-5, type + (model == lora ? " with LoRA" : ""));
        }
        float[] withLora = lora.forwardLogits(Batch.of(new int[][] {ids}, null));
        assertTrue(maxAbsDiff(withLora, base.forwardLogits(Batch.of(new int[][] {ids}, null))) > 1e-2, "LoRA changes the logits");
    }

    /**
     * Sequences batched together (their tokens routed to the experts side by side) give each
     * sequence's logits alone, bit for bit: the base model, or one adapter over the experts shared by the batch.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "qwen3_moe"})
    void batchedSequencesDecodeAsIfAlone(String type) {
        ModelConfig c = config(type);
        CausalLM base = frozen(c);
        LoraAdapter a = BatchDecoderTest.adapter(base, "a", 1, List.of());
        for (LoraAdapter adapter : Arrays.asList(null, a)) {
            int[][] prompts = {tokens(c.vocabSize(), 7, 1), tokens(c.vocabSize(), 3, 2), tokens(c.vocabSize(), 5, 3)};
            List<float[]> expected = new ArrayList<>();
            for (int[] p : prompts) {
                InferenceSession s = new InferenceSession(base, adapter);
                expected.add(s.append(p));
                expected.add(s.append(4));
            }
            BatchDecoder decoder = new BatchDecoder(base);
            List<BatchDecoder.Sequence> seqs = new ArrayList<>();
            List<BatchDecoder.Segment> prefill = new ArrayList<>(), next = new ArrayList<>();
            for (int[] p : prompts) {
                BatchDecoder.Sequence s = decoder.newSequence(adapter);
                seqs.add(s);
                prefill.add(new BatchDecoder.Segment(s, p, true));
                next.add(new BatchDecoder.Segment(s, new int[] {4}, true));
            }
            float[] first = decoder.step(prefill), second = decoder.step(next);
            int v = c.vocabSize();
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(expected.get(2 * i), Arrays.copyOfRange(first, i * v, (i + 1) * v), type + " sequence " + i);
                assertArrayEquals(expected.get(2 * i + 1), Arrays.copyOfRange(second, i * v, (i + 1) * v), type + " sequence " + i);
            }
        }
    }

    /**
     * LoRA dropout on the experts and routers: gradient checkpointing (which reruns each MoE block,
     * its dropout masks from the same seeds) gives the gradients of the pass that kept everything.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "qwen3_moe"})
    void loraDropoutGradientsAreTheSameWithGradientCheckpointing(String type) {
        ModelConfig c = config(type);
        var spec = FinetuneSpec.lora(new FinetuneSpec.Lora(4, 16.0, 0.1, List.of("all"), false, List.of()));
        float[][] grads = new float[2][];
        for (int i = 0; i < 2; i++) {
            CausalLM model = ModelBuilder.build(c, new RandomWeights(c, 7, DType.F32, 0.3), spec, new CausalLM.Options(i == 1, 11));
            TinyModels.randomizeLoraB(model);
            model.zeroGrad();
            Batch batch = TinyModels.batch(c.vocabSize());
            model.forwardBackward(batch, 0.1f);
            grads[i] = model.gradients().clone();
        }
        assertArrayEquals(grads[0], grads[1], type);
        double norm = 0;
        for (float g : grads[0]) norm += g * g;
        assertTrue(norm > 0, "gradients flow");
    }

    /** DoRA and PiSSA on the experts and routers (per-module adapter parts over gathered rows) decode like the full forward. */
    @ParameterizedTest
    @ValueSource(strings = {"dora", "pissa"})
    void doraAndPissaOnExpertsDecodeLikeTheFullForward(String method) {
        // qwen2_moe's shared_expert_gate is [1 x hidden]: PiSSA cannot take rank 4 of it (a clear error), so mixtral there.
        ModelConfig c = config(method.equals("dora") ? "qwen2_moe" : "mixtral");
        RandomWeights weights = new RandomWeights(c, 7, DType.F32, 0.3);
        var lora = new FinetuneSpec.Lora(4, 16.0, 0.0, List.of("all"), false, List.of());
        lora = method.equals("dora") ? lora.withDora(true) : lora.withPissa(new FinetuneSpec.Pissa(8));
        CausalLM model = InferenceModels.withLora(c, weights, lora);
        TinyModels.randomizeLoraB(model);
        int[] ids = tokens(c.vocabSize(), 10, 17);
        float[] full = model.forwardLogits(Batch.of(new int[][] {ids}, null));
        InferenceSession session = new InferenceSession(model);
        int vocab = c.vocabSize();
        float[] actual = new float[ids.length * vocab];
        System.arraycopy(session.appendAll(Arrays.copyOf(ids, 4)), 0, actual, 0, 4 * vocab);
        for (int t = 4; t < ids.length; t++) System.arraycopy(session.append(ids[t]), 0, actual, t * vocab, vocab);
        assertTrue(maxAbsDiff(full, actual) < 2e-5, method);
        assertTrue(maxAbsDiff(full, InferenceModels.frozen(c, weights).forwardLogits(Batch.of(new int[][] {ids}, null))) > 1e-2,
                "the adapter changes the logits");
    }

    /**
     * Freeze tuning with LLaMA-Factory's module names: the last layer's MoE block (mixtral's
     * block_sparse_moe: its router and every expert) trains, its attention and the first layer do
     * not, and gradients reach every expert that a token chose.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mixtral"})
    void freezeTrainsTheLastLayersMoeBlock(String type) {
        ModelConfig c = config(type);
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("block_sparse_moe"), List.of()));
        CausalLM model = ModelBuilder.build(c, new RandomWeights(c, 7, DType.F32, 0.3), spec, CausalLM.Options.defaults());
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(1 + 4 * 3, names.size(), names.toString());
        assertTrue(names.contains("model.layers.1.block_sparse_moe.gate.weight"));
        assertTrue(names.contains("model.layers.1.block_sparse_moe.experts.3.w2.weight"));
        assertTrue(names.stream().allMatch(n -> n.startsWith("model.layers.1.block_sparse_moe.")), names.toString());
        model.zeroGrad();
        model.forwardBackward(TinyModels.batch(c.vocabSize()), 0.1f);
        for (TrainableParameter p : model.trainableParameters()) {
            double norm = 0;
            for (int i = 0; i < p.size(); i++) norm += Math.abs(model.gradients()[p.offset() + i]);
            assertTrue(norm > 0, p.name() + " gets a gradient");
        }
    }

    /** Different adapters over the experts in one batch are refused with a clear message (not supported yet). */
    @ParameterizedTest
    @ValueSource(strings = {"mixtral"})
    void differentExpertAdaptersInOneBatchAreRefused(String type) {
        ModelConfig c = config(type);
        CausalLM base = frozen(c);
        LoraAdapter a = BatchDecoderTest.adapter(base, "a", 1, List.of()), b = BatchDecoderTest.adapter(base, "b", 2, List.of());
        BatchDecoder decoder = new BatchDecoder(base);
        List<BatchDecoder.Segment> segments = List.of(new BatchDecoder.Segment(decoder.newSequence(a), new int[] {3, 4}, true),
                new BatchDecoder.Segment(decoder.newSequence(b), new int[] {5}, true));
        JtuneException e = assertThrows(JtuneException.class, () -> decoder.step(segments));
        assertTrue(e.getMessage().contains("not supported yet") && e.getMessage().contains("Mixture-of-Experts"), e.getMessage());
    }
}
