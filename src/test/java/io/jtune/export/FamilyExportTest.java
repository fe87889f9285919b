package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.gguf.GgufReader;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.RandomWeights;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The families beyond Llama through `jtune export`: a tiny checkpoint in the family's HF layout (its
 * config.json keys and tensor names), a LoRA adapter merged into it, the merged folder reloaded with
 * the logits of base + adapter, its config.json and tensor names the family's own, and the GGUF file
 * under llama.cpp's architecture and tensor names.
 */
class FamilyExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** config.json keys that make the tiny llama folder a checkpoint of the family. */
    private static final Map<String, Consumer<ObjectNode>> FAMILY_KEYS = Map.of(
            "gemma", c -> {
                c.put("model_type", "gemma");
                c.putArray("architectures").add("GemmaForCausalLM");
                c.put("hidden_act", "gelu");                          // ignored by GemmaMLP
                c.put("hidden_activation", "gelu_pytorch_tanh");
                c.put("head_dim", 16);
            },
            "gemma2", c -> {
                c.put("model_type", "gemma2");
                c.putArray("architectures").add("Gemma2ForCausalLM");
                c.put("hidden_activation", "gelu_pytorch_tanh");
                c.put("head_dim", 16);
                c.put("query_pre_attn_scalar", 16);
                c.put("sliding_window", 4);
                c.put("attn_logit_softcapping", 50.0);
                c.put("final_logit_softcapping", 30.0);
            },
            "gemma3_text", c -> {
                c.put("model_type", "gemma3_text");
                c.putArray("architectures").add("Gemma3ForCausalLM");
                c.put("hidden_activation", "gelu_pytorch_tanh");
                c.put("head_dim", 16);
                c.put("query_pre_attn_scalar", 16);
                c.put("sliding_window", 4);
                c.put("sliding_window_pattern", 2);
                c.put("rope_theta", 1000000.0);
                c.put("rope_local_base_freq", 10000.0);
            });

    /** A tiny checkpoint of the family with random weights, the tokenizer files of the quickstart's tiny model. */
    static Path checkpoint(Path shared, String modelType) throws IOException {
        Path llama = shared.resolve("tiny-llama");
        if (!Files.exists(llama)) ExportFixtures.fp32Model(llama);
        Path dir = shared.resolve("tiny-" + modelType);
        try (HfModelDirectory src = HfModelDirectory.open(llama)) {
            ObjectNode config = src.rawConfig();
            FAMILY_KEYS.get(modelType).accept(config);
            ModelConfig parsed = io.jtune.io.hf.HfConfigReader.parse(config, dir.resolve("config.json"));
            ModelFamily family = Families.of(parsed);
            RandomWeights weights = new RandomWeights(family, parsed, 5, DType.F32, 0.3);
            List<TensorToWrite> tensors = new ArrayList<>();
            for (ModelTensor t : family.checkpointTensors(parsed)) {
                Matrix m = weights.tensor(t.name());
                float[] data = new float[m.rows() * m.cols()];
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), data, r * m.cols());
                tensors.add(TensorToWrite.ofFloats(t.name(), DType.F32, t.shape(), data));
            }
            HfModelWriter.save(dir, config, src.rawGenerationConfig(), llama, tensors, DType.F32, 1L << 30);
        }
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "gemma3_text"})
    void mergedExportKeepsTheFamilysNamesAndLogitsAndItsGgufIsLlamaCpps(String modelType, @org.junit.jupiter.api.io.TempDir Path shared)
            throws IOException {
        Path base = checkpoint(shared, modelType), adapter = shared.resolve("adapter"), out = shared.resolve("merged");
        try (HfModelDirectory dir = HfModelDirectory.open(base)) {
            assertEquals(modelType, dir.config().modelType());
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(dir, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, base);
        }
        ModelExport.Result result = ModelExportTest.export(shared, ModelExportTest.yaml(base, adapter, out), "export_gguf=f16");

        float[][] l = ModelExportTest.logits(base, adapter, out);
        double adapterEffect = ModelExportTest.maxAbsDiff(l[0], l[2]), mergeError = ModelExportTest.maxAbsDiff(l[0], l[1]);
        assertTrue(adapterEffect > 0.05, "the adapter must change the logits, changed by " + adapterEffect);
        assertTrue(mergeError < 1e-4, "fp32 merge error " + mergeError + " (adapter effect " + adapterEffect + ")");

        JsonNode written = JSON.readTree(out.resolve("config.json").toFile());
        JsonNode original = JSON.readTree(base.resolve("config.json").toFile());
        assertEquals(original, written, "config.json is written back as read (same dtype)");
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            ModelConfig c = merged.config();
            for (ModelTensor t : Families.of(c).checkpointTensors(c)) {
                assertTrue(merged.checkpoint().find(t.name()) != null, "merged checkpoint lacks " + t.name());
            }
            assertEquals(Families.of(c).checkpointTensors(c).size(), merged.checkpoint().names().size());
        }

        try (GgufReader gguf = GgufReader.open(result.gguf()); HfModelDirectory merged = HfModelDirectory.open(out)) {
            String arch = Families.of(merged.config()).ggufArchitecture();
            assertEquals(arch, gguf.metadata().getString("general.architecture"));
            assertEquals(merged.config().numHiddenLayers(), gguf.metadata().getLong(arch + ".block_count"));
            for (int layer = 0; layer < merged.config().numHiddenLayers(); layer++) {
                for (ModelTensor t : Families.of(merged.config()).layerTensors(merged.config(), layer)) {
                    assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals(t.gguf())), "GGUF lacks " + t.gguf());
                }
            }
        }
    }
}
