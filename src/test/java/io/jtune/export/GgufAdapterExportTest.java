package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.FinetuneSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * export_gguf_adapter: the PEFT adapter as a llama.cpp GGUF LoRA adapter, parsed by an independent
 * reader (@huggingface/gguf under node, see src/test/node/read-gguf.mjs) and checked against the
 * PEFT safetensors: metadata, llama.cpp's tensor names, ggml shapes, values (lora_b's q/k rows
 * permuted as llama.cpp's converter permutes the base), and llama.cpp's shape checks against the
 * base GGUF written beside it. Without node or the fixture the node parts skip (fail in CI).
 */
class GgufAdapterExportTest {
    @TempDir static Path shared;
    static Path fp32, adapter;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path FIXTURE = Path.of(".fixtures/huggingface-gguf-0.4.6/package/dist");
    static final Path READER = Path.of("src/test/node/read-gguf.mjs");

    /** HF module to llama.cpp tensor name, written out here independently of the family declarations. */
    static final Map<String, String> LLAMA_CPP_NAMES = Map.of("self_attn.q_proj", "attn_q", "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v", "self_attn.o_proj", "attn_output", "mlp.gate_proj", "ffn_gate", "mlp.up_proj", "ffn_up",
            "mlp.down_proj", "ffn_down");

    @BeforeAll
    static void makeModel() throws IOException {
        fp32 = shared.resolve("tiny-fp32");
        ExportFixtures.fp32Model(fp32);
        adapter = shared.resolve("adapter");
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, fp32);
        }
    }

    @Test
    void adapterFileAsLlamaCppDefinesItReadByAnIndependentParser() throws Exception {
        Path out = shared.resolve("ollama");
        ModelExport.Result r = ModelExportTest.export(shared, ModelExportTest.yaml(fp32, adapter, out), "export_gguf_adapter=true");
        assertEquals(out.resolve("ollama-lora-F32.gguf"), r.ggufAdapter());
        assertEquals(out.resolve("tiny-fp32-F16.gguf"), r.gguf(), "the base, as f16 when export_gguf is unset");
        assertFalse(Files.exists(out.resolve("model.safetensors")), "the adapter is not merged");

        String modelfile = Files.readString(r.modelfile());
        assertTrue(modelfile.contains("\nFROM ./tiny-fp32-F16.gguf\nADAPTER ./ollama-lora-F32.gguf\n"), modelfile);
        assertTrue(modelfile.contains("PARAMETER stop \"<|im_end|>\""), modelfile);

        JsonNode file = readWithNode(r.ggufAdapter());
        JsonNode meta = file.get("metadata");
        assertEquals("llama", meta.get("general.architecture").asText());
        assertEquals("adapter", meta.get("general.type").asText());
        assertEquals("lora", meta.get("adapter.type").asText());
        assertEquals(8.0, meta.get("adapter.lora.alpha").asDouble());

        Map<String, JsonNode> tensors = byName(file);
        Map<String, JsonNode> baseTensors = byName(readWithNode(r.gguf()));
        int numHeads, numKvHeads;
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            numHeads = base.config().numAttentionHeads();
            numKvHeads = base.config().numKeyValueHeads();
        }
        TreeSet<String> expectedNames = new TreeSet<>();
        try (SafetensorsFile peft = SafetensorsFile.open(adapter.resolve(AdapterWeights.ADAPTER_FILE))) {
            for (StoredTensor a : peft.tensors()) {
                if (!a.name().endsWith(".lora_A.weight")) continue;
                StoredTensor b = peft.tensor(a.name().replace(".lora_A.", ".lora_B."));
                String module = a.name().replaceFirst("^base_model\\.model\\.model\\.layers\\.(\\d+)\\.", "").replace(".lora_A.weight", "");
                int layer = Integer.parseInt(a.name().replaceFirst("^base_model\\.model\\.model\\.layers\\.(\\d+)\\..*", "$1"));
                String ggufName = "blk." + layer + "." + LLAMA_CPP_NAMES.get(module) + ".weight";
                expectedNames.add(ggufName + ".lora_a");
                expectedNames.add(ggufName + ".lora_b");
                int r0 = (int) a.shape()[0], in = (int) a.shape()[1], outRows = (int) b.shape()[0];

                JsonNode la = tensors.get(ggufName + ".lora_a"), lb = tensors.get(ggufName + ".lora_b");
                assertNotNull(la, ggufName + ".lora_a");
                assertEquals(List.of(in, r0), ints(la.get("shape")), ggufName + ".lora_a ne");
                assertEquals(List.of(r0, outRows), ints(lb.get("shape")), ggufName + ".lora_b ne");
                assertEquals(0, la.get("dtype").asInt(), "F32");
                assertEquals(0, lb.get("dtype").asInt(), "F32");
                assertValues(a.toFloatArray(), la.get("values"), ggufName + ".lora_a");
                int heads = module.equals("self_attn.q_proj") ? numHeads : module.equals("self_attn.k_proj") ? numKvHeads : 0;
                assertValues(permuteRows(b.toFloatArray(), outRows, r0, heads), lb.get("values"), ggufName + ".lora_b");

                // llama-adapter.cpp's checks against the base tensor
                JsonNode w = baseTensors.get(ggufName);
                assertNotNull(w, "the base GGUF has " + ggufName);
                assertEquals(ints(w.get("shape")).get(0), ints(la.get("shape")).get(0), "a.ne[0] == w.ne[0]");
                assertEquals(ints(w.get("shape")).get(1), ints(lb.get("shape")).get(1), "b.ne[1] == w.ne[1]");
            }
        }
        assertEquals(7 * 2 * 2, expectedNames.size(), "all seven modules of both layers");
        assertEquals(expectedNames, new TreeSet<>(tensors.keySet()));
    }

    @Test
    void rsloraAlphaIsScaledSoLlamaCppsAlphaOverRMatches() {
        var c = new LoraAdapterConfig(16, 8.0, 0, List.of("q_proj"), true, List.of(), null);
        // PEFT scales by 8/sqrt(16) = 2; llama.cpp by alpha/16, so alpha = 32
        assertEquals(32.0, GgufAdapterExport.ggufAlpha(c), 1e-12);
        assertEquals(8.0, GgufAdapterExport.ggufAlpha(new LoraAdapterConfig(16, 8.0, 0, List.of("q_proj"), false, List.of(), null)));
    }

    @Test
    void adaptersLlamaCppCannotCarryAreRefusedWithoutLeavingFiles() throws IOException {
        Path dora = shared.resolve("dora-adapter");
        FinetuneSpec.Lora spec = ExportFixtures.LORA;
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, spec, 5), spec, dora, fp32);
        }
        LoraAdapterConfig.read(dora).withMethod(true, "true").write(dora);
        Path out = shared.resolve("refused");
        JtuneException e = assertThrows(JtuneException.class,
                () -> ModelExportTest.export(shared, ModelExportTest.yaml(fp32, dora, out), "export_gguf_adapter=true"));
        assertTrue(e.getMessage().contains("use_dora"), e.getMessage());
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".gguf")), "no GGUF left behind");
        }

        JtuneException none = assertThrows(JtuneException.class,
                () -> ModelExportTest.export(shared, ModelExportTest.yaml(fp32, null, shared.resolve("none")), "export_gguf_adapter=true"));
        assertTrue(none.getMessage().contains("export_gguf_adapter needs adapter_name_or_path"), none.getMessage());
    }

    /** llama.cpp's converter permutes the base q/k rows for Llama; B's output rows follow: row h·d+2i+j is h·d+j·d/2+i. */
    static float[] permuteRows(float[] b, int rows, int cols, int heads) {
        if (heads == 0) return b;
        int d = rows / heads;
        float[] out = new float[b.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(b, (h * d + j * (d / 2) + i) * cols, out, (h * d + 2 * i + j) * cols, cols);
                }
            }
        }
        return out;
    }

    static void assertValues(float[] expected, JsonNode actual, String what) {
        assertEquals(expected.length, actual.size(), what + " element count");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits((float) actual.get(i).asDouble())) {
                fail(what + "[" + i + "]: expected " + expected[i] + ", the file has " + actual.get(i).asDouble());
            }
        }
    }

    static List<Integer> ints(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asInt).toList();
    }

    static Map<String, JsonNode> byName(JsonNode file) {
        Map<String, JsonNode> m = new HashMap<>();
        file.get("tensors").forEach(t -> m.put(t.get("name").asText(), t));
        return m;
    }

    static JsonNode readWithNode(Path gguf) throws IOException, InterruptedException {
        if (!Files.isDirectory(FIXTURE)) {
            skipOrFail(FIXTURE + " is missing: run scripts/fetch-test-fixtures.sh (it fetches @huggingface/gguf from npm)");
        }
        Process node;
        try {
            node = new ProcessBuilder("node", READER.toString(), gguf.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            skipOrFail("node is not installed (it runs the @huggingface/gguf reader): " + e.getMessage());
            throw e;
        }
        byte[] out;
        try (InputStream stdout = node.getInputStream()) {
            out = stdout.readAllBytes();
        }
        if (!node.waitFor(60, TimeUnit.SECONDS)) {
            node.destroyForcibly();
            fail("the node GGUF reader did not finish within 60 s");
        }
        if (node.exitValue() != 0) fail("the node GGUF reader failed on " + gguf + " with exit code " + node.exitValue());
        return JSON.readTree(new String(out, StandardCharsets.UTF_8));
    }

    static void skipOrFail(String message) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
        Assumptions.abort(message);
    }
}
