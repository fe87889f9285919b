package io.jtune.io.gguf;

import io.jtune.nn.RopeConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Numbers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufExportTest {
    @TempDir Path dir;

    private GgufReader export(TinyCheckpoint model, GgufFileType type) throws IOException {
        Path file = dir.resolve(model.name() + "-" + type + ".gguf");
        LlamaFamilyGguf.export(model, type, file);
        return GgufReader.open(file);
    }

    @Test
    void llamaMetadataMatchesTheConverter() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("llama", false);
        try (GgufReader r = export(model, GgufFileType.F16)) {
            GgufMetadata m = r.metadata();
            assertEquals(3, r.version());
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals("tiny-llama", m.getString("general.name"));
            assertEquals(2, m.getLong("llama.block_count"));
            assertEquals(2048, m.getLong("llama.context_length"));
            assertEquals(64, m.getLong("llama.embedding_length"));
            assertEquals(96, m.getLong("llama.feed_forward_length"));
            assertEquals(4, m.getLong("llama.attention.head_count"));
            assertEquals(2, m.getLong("llama.attention.head_count_kv"));
            assertEquals(10000.0, m.getDouble("llama.rope.freq_base"));
            assertEquals((double) 1e-6f, m.getDouble("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(GgufValueType.FLOAT32, m.get("llama.attention.layer_norm_rms_epsilon").type());
            assertEquals(1, m.getLong("general.file_type"));
            assertEquals(40, m.getLong("llama.vocab_size"));
            assertEquals(16, m.getLong("llama.rope.dimension_count"));
            assertFalse(m.contains("llama.attention.key_length"), "head_dim equals hidden/heads");
            assertEquals(2, m.getLong("general.quantization_version"));
            // tokenizer
            assertEquals("gpt2", m.getString("tokenizer.ggml.model"));
            assertEquals("qwen2", m.getString("tokenizer.ggml.pre"));
            List<String> tokens = m.getStringList("tokenizer.ggml.tokens");
            assertEquals(40, tokens.size());
            assertEquals("<|im_end|>", tokens.get(39));
            GgufValue types = m.get("tokenizer.ggml.token_type");
            assertEquals(GgufValueType.INT32, types.elementType());
            assertEquals(3L, types.list().get(39));
            assertEquals(1L, types.list().get(0));
            assertEquals(List.of("t 1", "t1 2"), m.getStringList("tokenizer.ggml.merges"));
            assertEquals(39, m.getLong("tokenizer.ggml.eos_token_id"));
            assertEquals(39, m.getLong("tokenizer.ggml.padding_token_id"));
            assertFalse(m.getBool("tokenizer.ggml.add_bos_token"));
            assertFalse(m.contains("tokenizer.ggml.bos_token_id"));
            assertEquals("{{ messages }}", m.getString("tokenizer.chat_template"));
        }
    }

    @Test
    void tensorNamesShapesAndTypes() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("llama", false);
        try (GgufReader r = export(model, GgufFileType.Q8_0)) {
            // 2 layers x 9 tensors + token_embd + output_norm + output
            assertEquals(21, r.tensors().size());
            GgufReader.TensorInfo embd = r.tensor("token_embd.weight");
            assertArrayEquals(new long[] {64, 40}, embd.dims(), "GGUF order: row length first");
            assertArrayEquals(new long[] {40, 64}, embd.shape());
            assertEquals(GgmlType.Q8_0, embd.type());
            assertArrayEquals(new long[] {64, 32}, r.tensor("blk.1.attn_k.weight").dims());
            assertArrayEquals(new long[] {96, 64}, r.tensor("blk.0.ffn_down.weight").dims());
            assertEquals(GgmlType.F32, r.tensor("blk.0.attn_norm.weight").type(), "norms stay F32");
            assertArrayEquals(new long[] {64}, r.tensor("blk.0.ffn_norm.weight").dims());
            assertEquals(GgmlType.F32, r.tensor("output_norm.weight").type());
            assertEquals(GgmlType.Q8_0, r.tensor("output.weight").type());
            for (GgufReader.TensorInfo t : r.tensors()) assertEquals(0, t.offset() % 32, t.name() + " is aligned");
            assertEquals(32, r.alignment());
        }
    }

    @Test
    void f16AndBf16HoldTheRoundedSourceValues() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("llama", false);
        float[] src = model.values("model.layers.0.mlp.up_proj.weight");
        float[] norm = model.values("model.norm.weight");
        try (GgufReader f16 = export(model, GgufFileType.F16); GgufReader bf16 = export(model, GgufFileType.BF16)) {
            float[] a = f16.readFloats("blk.0.ffn_up.weight");
            float[] b = bf16.readFloats("blk.0.ffn_up.weight");
            for (int i = 0; i < src.length; i++) {
                assertEquals(Numbers.f16ToFloat(Numbers.floatToF16(src[i])), a[i], 0f);
                assertEquals(Numbers.bf16ToFloat(Numbers.floatToBf16(src[i])), b[i], 0f);
            }
            assertEquals(GgmlType.BF16, bf16.tensor("blk.0.ffn_up.weight").type());
            assertEquals(32, bf16.metadata().getLong("general.file_type"));
            assertArrayEquals(norm, bf16.readFloats("output_norm.weight"), "F32 norms are exact");
        }
    }

    @Test
    void llamaQueryAndKeyRowsArePermutedAndInvertible() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("llama", false);
        try (GgufReader r = export(model, GgufFileType.F32)) {
            checkPermuted(model, r, "model.layers.1.self_attn.q_proj.weight", "blk.1.attn_q.weight", 4, 64, 64);
            checkPermuted(model, r, "model.layers.1.self_attn.k_proj.weight", "blk.1.attn_k.weight", 2, 32, 64);
            assertArrayEquals(model.values("model.layers.1.self_attn.v_proj.weight"), r.readFloats("blk.1.attn_v.weight"), "v is not permuted");
        }
    }

    private static void checkPermuted(TinyCheckpoint model, GgufReader r, String hf, String gguf, int heads, int rows, int cols) {
        float[] src = model.values(hf);
        float[] stored = r.readFloats(gguf);
        // spot check against the converter's formula: within head 0 (d = rows/heads), GGUF row 1 is HF row d/2
        int d = rows / heads;
        for (int c = 0; c < cols; c++) assertEquals(src[(d / 2) * cols + c], stored[cols + c]);
        int[] inv = LlamaPermutation.inverse(LlamaPermutation.sourceRows(rows, heads, hf));
        float[] back = new float[src.length];
        for (int hfRow = 0; hfRow < rows; hfRow++) System.arraycopy(stored, inv[hfRow] * cols, back, hfRow * cols, cols);
        assertArrayEquals(src, back, hf + " inverse-permuted equals the source");
    }

    @Test
    void qwen2IsNotPermutedAndKeepsF32Biases() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("qwen2", true);
        try (GgufReader r = export(model, GgufFileType.F32)) {
            assertEquals("qwen2", r.metadata().getString("general.architecture"));
            assertEquals(64, r.metadata().getLong("qwen2.embedding_length"));
            assertFalse(r.metadata().contains("qwen2.rope.dimension_count"), "only LlamaModel writes it");
            assertArrayEquals(model.values("model.layers.0.self_attn.q_proj.weight"), r.readFloats("blk.0.attn_q.weight"));
            assertArrayEquals(model.values("model.layers.0.self_attn.k_proj.bias"), r.readFloats("blk.0.attn_k.bias"));
            assertEquals(GgmlType.F32, r.tensor("blk.0.attn_q.bias").type());
            assertTrue(r.tensors().stream().noneMatch(t -> t.name().equals("output.weight")), "tied: no output.weight");
        }
        try (GgufReader r = export(model, GgufFileType.Q8_0)) {
            assertEquals(GgmlType.F32, r.tensor("blk.1.attn_v.bias").type(), "biases stay F32 in a Q8_0 file");
        }
    }

    @Test
    void qwen3HasQkNormsAndHeadLength() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("qwen3", true);
        try (GgufReader r = export(model, GgufFileType.BF16)) {
            GgufMetadata m = r.metadata();
            assertEquals("qwen3", m.getString("general.architecture"));
            assertEquals(32, m.getLong("qwen3.attention.key_length"));
            assertEquals(32, m.getLong("qwen3.attention.value_length"));
            assertArrayEquals(new long[] {32}, r.tensor("blk.0.attn_q_norm.weight").dims());
            assertArrayEquals(model.values("model.layers.1.self_attn.k_norm.weight"), r.readFloats("blk.1.attn_k_norm.weight"));
            assertArrayEquals(new long[] {64, 128}, r.tensor("blk.0.attn_q.weight").dims());
            assertArrayEquals(new long[] {128, 64}, r.tensor("blk.0.attn_output.weight").dims());
        }
    }

    @Test
    void gemmaNormsAreWrittenWithTheOneAddedAndTheHeadIsTied() throws IOException {
        TinyCheckpoint model = TinyCheckpoint.of("gemma", true);
        try (GgufReader r = export(model, GgufFileType.F32)) {
            GgufMetadata m = r.metadata();
            assertEquals("gemma", m.getString("general.architecture"));
            assertEquals(16, m.getLong("gemma.attention.key_length"));
            assertEquals(16, m.getLong("gemma.attention.value_length"));
            assertEquals(2, m.getLong("gemma.attention.head_count_kv"));
            for (String[] names : new String[][] {{"model.layers.1.input_layernorm.weight", "blk.1.attn_norm.weight"},
                    {"model.layers.0.post_attention_layernorm.weight", "blk.0.ffn_norm.weight"},
                    {"model.norm.weight", "output_norm.weight"}}) {
                float[] stored = model.values(names[0]), written = r.readFloats(names[1]);
                for (int i = 0; i < stored.length; i++) assertEquals(stored[i] + 1f, written[i], 0f, names[1]);
            }
            // Not permuted (only llama's layout interleaves q/k rows), and no output.weight: tied.
            assertArrayEquals(model.values("model.layers.0.self_attn.q_proj.weight"), r.readFloats("blk.0.attn_q.weight"));
            assertTrue(r.tensors().stream().noneMatch(t -> t.name().equals("output.weight")));
        }
    }

    @Test
    void gemma2HasSandwichNormsCapsAndWindow() throws IOException {
        ModelConfig c = TinyCheckpoint.config("gemma2", true, RopeConfig.plain(10000.0)).toBuilder()
                .attnLogitSoftcap(50).finalLogitSoftcap(30).slidingWindow(4096).slidingLayers(List.of(true, false)).build();
        TinyCheckpoint model = TinyCheckpoint.of(c);
        try (GgufReader r = export(model, GgufFileType.F32)) {
            GgufMetadata m = r.metadata();
            assertEquals("gemma2", m.getString("general.architecture"));
            assertEquals(50.0, m.getDouble("gemma2.attn_logit_softcapping"), 0);
            assertEquals(30.0, m.getDouble("gemma2.final_logit_softcapping"), 0);
            assertEquals(4096, m.getLong("gemma2.attention.sliding_window"));
            for (String[] names : new String[][] {{"model.layers.0.post_attention_layernorm.weight", "blk.0.post_attention_norm.weight"},
                    {"model.layers.0.pre_feedforward_layernorm.weight", "blk.0.ffn_norm.weight"},
                    {"model.layers.1.post_feedforward_layernorm.weight", "blk.1.post_ffw_norm.weight"}}) {
                float[] stored = model.values(names[0]), written = r.readFloats(names[1]);
                for (int i = 0; i < stored.length; i++) assertEquals(stored[i] + 1f, written[i], 0f, names[1]);
            }
        }
    }

    @Test
    void gemma3DropsEmbeddingRowsPastTheTokenizerAndKeepsQkNorms() throws IOException {
        ModelConfig c = TinyCheckpoint.config("gemma3_text", true, new RopeConfig(1e6, "linear", 8, 1, 4, 2048)).toBuilder()
                .qkNorm(true).vocabSize(44).slidingWindow(512).slidingLayers(List.of(true, false)).localRope(RopeConfig.plain(1e4))
                .build();
        TinyCheckpoint model = TinyCheckpoint.of(c, 40);
        try (GgufReader r = export(model, GgufFileType.F32)) {
            GgufMetadata m = r.metadata();
            assertEquals("gemma3", m.getString("general.architecture"));
            assertEquals(1e6, m.getDouble("gemma3.rope.freq_base"), 0, "the global layers' base");
            assertEquals("linear", m.getString("gemma3.rope.scaling.type"));
            assertEquals(512, m.getLong("gemma3.attention.sliding_window"));
            assertFalse(m.contains("gemma3.attn_logit_softcapping"));
            assertArrayEquals(new long[] {64, 40}, r.tensor("token_embd.weight").dims(), "rows past the 40 tokens dropped");
            float[] norm = model.values("model.layers.1.self_attn.k_norm.weight"), written = r.readFloats("blk.1.attn_k_norm.weight");
            for (int i = 0; i < norm.length; i++) assertEquals(norm[i] + 1f, written[i], 0f);
        }
    }

    @Test
    void llama3RopeScalingBecomesARopeFreqsTensor() throws IOException {
        RopeConfig rope = new RopeConfig(500000.0, "llama3", 32.0, 1.0, 4.0, 8192);
        TinyCheckpoint model = TinyCheckpoint.of(TinyCheckpoint.config("llama", true, rope));
        try (GgufReader r = export(model, GgufFileType.F16)) {
            float[] f = r.readFloats("rope_freqs.weight");
            assertEquals(8, f.length);
            assertEquals(GgmlType.F32, r.tensor("rope_freqs.weight").type());
            // reference in double: wavelen_k = 2π·θ^(2k/16); 1 below 2048, factor above 8192, smooth between
            for (int k = 0; k < 8; k++) {
                double wavelen = 2 * Math.PI * Math.pow(500000.0, 2.0 * k / 16);
                double expected = wavelen < 2048 ? 1 : wavelen > 8192 ? 32
                        : 1 / ((1 - (8192 / wavelen - 1) / 3) / 32 + (8192 / wavelen - 1) / 3);
                assertEquals(expected, f[k], 1e-4 * expected, "factor " + k);
            }
            assertEquals(1.0, f[0]);
            assertEquals(32.0, f[7]);
            assertFalse(r.metadata().contains("llama.rope.scaling.type"));
        }
    }

    @Test
    void badInputsAreClearErrors() {
        ModelConfig c = TinyCheckpoint.config("deepseek_v2", true, RopeConfig.plain(1e4));
        JtuneException e = assertThrows(JtuneException.class, () -> LlamaFamilyGguf.architecture(c.modelType()));
        assertTrue(e.getMessage().contains("'deepseek_v2'"), e.getMessage());

        TinyCheckpoint missing = TinyCheckpoint.of("llama", false);
        missing.tensors.remove("model.layers.1.mlp.down_proj.weight");
        e = assertThrows(JtuneException.class, () -> LlamaFamilyGguf.plan(missing, GgufFileType.F16));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.down_proj.weight"), e.getMessage());

        TinyCheckpoint wrong = TinyCheckpoint.of("llama", false);
        wrong.tensors.put("model.layers.0.self_attn.k_proj.weight", io.jtune.tensor.Matrix.of(new float[64 * 64], 64, 64));
        e = assertThrows(JtuneException.class, () -> LlamaFamilyGguf.plan(wrong, GgufFileType.F16));
        assertTrue(e.getMessage().contains("[64, 64], expected [32, 64]"), e.getMessage());
    }

    @Test
    void corruptFilesAreClearErrors() throws IOException {
        Path file = dir.resolve("m.gguf");
        LlamaFamilyGguf.export(TinyCheckpoint.of("qwen2", true), GgufFileType.F16, file);
        byte[] all = Files.readAllBytes(file);
        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, java.util.Arrays.copyOf(all, 200));
        JtuneException e = assertThrows(JtuneException.class, () -> GgufReader.open(truncated).close());
        assertTrue(e.getMessage().contains("truncated.gguf") && e.getMessage().contains("truncated"), e.getMessage());
        Path notGguf = dir.resolve("x.gguf");
        Files.writeString(notGguf, "hello world, not a model");
        e = assertThrows(JtuneException.class, () -> GgufReader.open(notGguf).close());
        assertTrue(e.getMessage().contains("not a GGUF file"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left behind");
        }
    }
}
