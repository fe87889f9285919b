package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched decoding gives every sequence the logits of a session decoding it alone, bit for bit:
 * sequences of different lengths, adapters (none, LoRA, LoRA with modules_to_save) and phases
 * (a prefill chunk beside single decode tokens) in one step, joining and leaving between steps.
 */
class BatchDecoderTest {

    static LoraAdapter adapter(CausalLM base, String name, long seed, List<String> modulesToSave) {
        LoraAdapter a = LoraAdapter.attach(base, name, new FinetuneSpec.Lora(2 + (int) seed, 8.0, 0.0, List.of("all"), false, modulesToSave), seed);
        Random rnd = new Random(seed);
        float[] v = a.parameters().values();
        for (int i = 0; i < v.length; i++) v[i] += (float) (rnd.nextGaussian() * 0.2);
        return a;
    }

    static int[] tokens(int vocab, int n, long seed) {
        Random rnd = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(vocab);
        return ids;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "phi3", "phi3_long", "glm4", "chatglm", "gpt2", "bloom", "falcon", "falcon_new"})
    void eachSequenceDecodesAsIfAlone(String type) {
        ModelConfig c = TinyModels.config(type);
        decodesAsIfAlone(type, InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3)));
    }

    /** The same over bf16 weights arranged for decoding (Bf16Panels), as chat and the API serve them. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt2"})
    void eachSequenceDecodesAsIfAloneOverDecodingPanels(String type) {
        ModelConfig c = TinyModels.config(type);
        CausalLM base = InferenceModels.arrangedForDecoding(InferenceModels.frozen(c, new RandomWeights(c, 7, DType.BF16, 0.3)));
        assertTrue(base.baseWeights().lmHead.matrix instanceof io.jtune.tensor.Bf16Panels, "the LM head is arranged");
        decodesAsIfAlone(type, base);
    }

    /** Panels keep the weights' values: the logits differ from the row-major model's only by the order of the sums. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void decodingPanelsKeepTheLogits(String type) {
        ModelConfig c = TinyModels.config(type);
        CausalLM plain = InferenceModels.frozen(c, new RandomWeights(c, 7, DType.BF16, 0.3));
        CausalLM arranged = InferenceModels.arrangedForDecoding(InferenceModels.frozen(c, new RandomWeights(c, 7, DType.BF16, 0.3)));
        InferenceSession a = new InferenceSession(plain, null), b = new InferenceSession(arranged, null);
        int[] prompt = tokens(c.vocabSize(), 7, 3);
        float[] x = a.append(prompt), y = b.append(prompt);
        for (int t = 0; t < 4; t++) {
            for (int v = 0; v < x.length; v++) assertEquals(x[v], y[v], 1e-4 * (1 + Math.abs(x[v])), type + " token " + t + " logit " + v);
            int next = tokens(c.vocabSize(), 1, 20 + t)[0];
            x = a.append(next);
            y = b.append(next);
        }
    }

    private static void decodesAsIfAlone(String type, CausalLM base) {
        ModelConfig c = base.config();
        List<String> saved = type.equals("qwen2") ? List.of("embed_tokens") : List.of();
        LoraAdapter a = adapter(base, "a", 1, List.of()), b = adapter(base, "b", 2, saved);
        LoraAdapter[] adapters = {null, a, b, a};
        int[][] prompts = {tokens(c.vocabSize(), 9, 1), tokens(c.vocabSize(), 3, 2), tokens(c.vocabSize(), 6, 3), tokens(c.vocabSize(), 1, 4)};
        int[][] continuations = new int[adapters.length][];
        for (int i = 0; i < adapters.length; i++) continuations[i] = tokens(c.vocabSize(), 5, 10 + i);

        // Reference: each sequence alone in its own session.
        List<List<float[]>> expected = new ArrayList<>();
        for (int i = 0; i < adapters.length; i++) {
            InferenceSession s = new InferenceSession(base, adapters[i]);
            List<float[]> logits = new ArrayList<>();
            logits.add(s.append(prompts[i]));
            for (int t : continuations[i]) logits.add(s.append(t));
            expected.add(logits);
        }

        // Batched: sequence 0 starts alone and prefills in two chunks while the others join one by one.
        // The chunks are one call (the reference appends the prompt at once): with LongRoPE (phi3_long,
        // original context 4) the first chunk, positions 0-2, still takes the long factors the whole
        // prompt's call takes.
        BatchDecoder decoder = new BatchDecoder(base);
        BatchDecoder.Sequence[] seqs = new BatchDecoder.Sequence[adapters.length];
        int[] next = new int[adapters.length];   // tokens of the continuation fed so far, -1: prompt not done
        Arrays.fill(next, -1);
        List<List<float[]>> actual = new ArrayList<>();
        for (int i = 0; i < adapters.length; i++) actual.add(new ArrayList<>());
        seqs[0] = decoder.newSequence(null);
        step(decoder, List.of(new BatchDecoder.Segment(seqs[0], Arrays.copyOf(prompts[0], 3), false, prompts[0].length - 1)),
                List.of(), actual);
        int joined = 1;
        for (int round = 0; round < 12; round++) {
            List<BatchDecoder.Segment> segments = new ArrayList<>();
            List<Integer> owners = new ArrayList<>();
            if (joined < adapters.length) {
                seqs[joined] = decoder.newSequence(adapters[joined]);
                segments.add(new BatchDecoder.Segment(seqs[joined], prompts[joined], true));
                owners.add(joined);
                next[joined] = 0;
                joined++;
            }
            for (int i = 0; i < joined; i++) {
                if (owners.contains(i)) continue;
                if (i == 0 && next[0] < 0) {
                    segments.add(new BatchDecoder.Segment(seqs[0], Arrays.copyOfRange(prompts[0], 3, prompts[0].length), true));
                    next[0] = 0;
                } else if (next[i] < continuations[i].length) {
                    segments.add(new BatchDecoder.Segment(seqs[i], new int[] {continuations[i][next[i]++]}, true));
                } else {
                    continue; // finished: leaves the batch
                }
                owners.add(i);
            }
            if (segments.isEmpty()) break;
            step(decoder, segments, owners, actual);
        }
        for (int i = 0; i < adapters.length; i++) {
            assertEquals(expected.get(i).size(), actual.get(i).size(), "sequence " + i);
            for (int t = 0; t < expected.get(i).size(); t++) {
                assertArrayEquals(expected.get(i).get(t), actual.get(i).get(t), type + ": sequence " + i + ", step " + t);
            }
            assertEquals(prompts[i].length + continuations[i].length, seqs[i].length());
        }
    }

    private static void step(BatchDecoder decoder, List<BatchDecoder.Segment> segments, List<Integer> owners, List<List<float[]>> out) {
        float[] logits = decoder.step(segments);
        int vocab = decoder.vocabSize();
        int row = 0;
        for (int i = 0; i < segments.size(); i++) {
            if (!segments.get(i).wantLogits()) continue;
            out.get(owners.get(i)).add(Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab));
            row++;
        }
    }

    @org.junit.jupiter.api.Test
    void anAdapterReadsTheBasesWeightsAndOwnsOnlyItsFactors() {
        ModelConfig c = TinyModels.config("qwen2");
        CausalLM base = InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        LoraAdapter a = adapter(base, "a", 1, List.of());
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            for (int i = 0; i < base.baseWeights().layers[l].modules.length; i++) {
                int slot = i;
                LinearModule mine = a.weights().layers[l].modules[i], theirs = base.baseWeights().layers[l].modules[i];
                assertTrue(mine.weight == theirs.weight && mine.weight.matrix == theirs.weight.matrix, "layer " + l + " slot " + slot);
                assertTrue(mine.adapter != null, "lora_target all adapts every linear module");
            }
        }
        assertTrue(a.weights().embed == base.baseWeights().embed && a.weights().lmHead == base.baseWeights().lmHead);
        long factors = 0;
        for (DecoderLayer layer : a.weights().layers) for (LinearModule m : layer.modules) factors += (long) a.config().rank() * (m.in() + m.out());
        assertEquals(factors, a.parameters().values().length, "the adapter's own memory is its LoRA factors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2"})
    void refusesASequenceTwiceAndTooLongSequences(String type) {
        ModelConfig c = TinyModels.config(type);
        CausalLM base = InferenceModels.frozen(c, new RandomWeights(c, 7, DType.F32, 0.3));
        BatchDecoder decoder = new BatchDecoder(base);
        BatchDecoder.Sequence s = decoder.newSequence(null);
        assertThrows(IllegalArgumentException.class, () -> decoder.step(List.of(
                new BatchDecoder.Segment(s, new int[] {1}, true), new BatchDecoder.Segment(s, new int[] {2}, true))));
        assertThrows(io.jtune.JtuneException.class, () -> decoder.step(List.of(
                new BatchDecoder.Segment(s, new int[decoder.maxLength() + 1], true))));
        assertEquals(0, s.length());
    }
}
