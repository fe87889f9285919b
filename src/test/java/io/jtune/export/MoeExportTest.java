package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
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
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Mixture-of-Experts families through `jtune export`: a LoRA adapter on every linear module (the
 * experts and routers included) merged into a tiny checkpoint in the family's HF layout, the merged
 * folder reloaded with base + adapter's logits and every expert tensor under its own name; the
 * GGUF file with llama.cpp's MoE keys and its experts stacked into one 3-D tensor per projection;
 * what llama.cpp cannot run (dense layers) and GGUF adapters over experts refused before anything is written.
 */
class MoeExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Consumer<ObjectNode> keys(String modelType) {
        return switch (modelType) {
            case "mixtral" -> c -> {
                c.put("model_type", "mixtral");
                c.putArray("architectures").add("MixtralForCausalLM");
                c.put("num_local_experts", 4);
                c.put("num_experts_per_tok", 2);
            };
            case "qwen2_moe_sparse" -> c -> {
                keys("qwen2_moe").accept(c);
                c.remove("mlp_only_layers");
            };
            case "qwen2_moe" -> c -> {
                c.put("model_type", "qwen2_moe");
                c.putArray("architectures").add("Qwen2MoeForCausalLM");
                c.put("num_experts", 4);
                c.put("num_experts_per_tok", 2);
                c.put("moe_intermediate_size", 8);
                c.put("shared_expert_intermediate_size", 12);
                c.put("norm_topk_prob", false);
                c.putArray("mlp_only_layers").add(1);
            };
            default -> throw new IllegalArgumentException(modelType);
        };
    }

    static Path checkpoint(Path shared, String modelType) throws IOException {
        Path llama = shared.resolve("tiny-llama");
        if (!Files.exists(llama)) ExportFixtures.fp32Model(llama);
        Path dir = shared.resolve("tiny-" + modelType);
        try (HfModelDirectory src = HfModelDirectory.open(llama)) {
            ObjectNode config = src.rawConfig();
            keys(modelType).accept(config);
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
    @ValueSource(strings = {"mixtral", "qwen2_moe"})
    void mergedExportReloadsWithTheSameLogits(String modelType, @TempDir Path shared) throws IOException {
        Path base = checkpoint(shared, modelType), adapter = shared.resolve("adapter"), out = shared.resolve("merged");
        try (HfModelDirectory dir = HfModelDirectory.open(base)) {
            assertEquals(modelType, dir.config().modelType());
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(dir, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, base);
        }
        ModelExportTest.export(shared, ModelExportTest.yaml(base, adapter, out));
        float[][] l = ModelExportTest.logits(base, adapter, out);
        double adapterEffect = ModelExportTest.maxAbsDiff(l[0], l[2]), mergeError = ModelExportTest.maxAbsDiff(l[0], l[1]);
        assertTrue(adapterEffect > 0.05, "the adapter must change the logits, changed by " + adapterEffect);
        assertTrue(mergeError < 1e-4, "fp32 merge error " + mergeError + " (adapter effect " + adapterEffect + ")");
        assertEquals(JSON.readTree(base.resolve("config.json").toFile()), JSON.readTree(out.resolve("config.json").toFile()));
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            ModelConfig c = merged.config();
            List<ModelTensor> tensors = Families.of(c).checkpointTensors(c);
            for (ModelTensor t : tensors) assertTrue(merged.checkpoint().find(t.name()) != null, "merged checkpoint lacks " + t.name());
            assertEquals(tensors.size(), merged.checkpoint().names().size());
            assertTrue(tensors.stream().anyMatch(t -> t.name().contains(".experts.3.")), "every expert is exported");
        }
    }

    /** llama.cpp's layout: the router (F32), the experts stacked [experts, out, in], the shared expert's tensors. */
    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe_sparse"})
    void ggufStacksTheExpertsAsLlamaCppReadsThem(String variant, @TempDir Path shared) throws IOException {
        Path base = checkpoint(shared, variant), out = shared.resolve("gguf-out");
        ModelExport.Result result = ModelExportTest.export(shared, ModelExportTest.yaml(base, null, out), "export_gguf=f16");
        try (io.jtune.io.gguf.GgufReader gguf = io.jtune.io.gguf.GgufReader.open(result.gguf());
             HfModelDirectory hf = HfModelDirectory.open(base)) {
            ModelConfig c = hf.config();
            String arch = Families.of(c).ggufArchitecture();
            assertEquals(variant.equals("mixtral") ? "llama" : "qwen2moe", arch);
            assertEquals(4, gguf.metadata().getLong(arch + ".expert_count"));
            assertEquals(2, gguf.metadata().getLong(arch + ".expert_used_count"));
            int width = c.moe().expertIntermediateSize(), hidden = c.hiddenSize();
            if (arch.equals("qwen2moe")) {
                assertEquals(8, gguf.metadata().getLong("qwen2moe.expert_feed_forward_length"));
                assertEquals(12, gguf.metadata().getLong("qwen2moe.expert_shared_feed_forward_length"));
                for (String n : List.of("ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp", "ffn_gate_inp_shexp")) {
                    assertTrue(gguf.tensor("blk.1." + n + ".weight") != null, "GGUF lacks blk.1." + n);
                }
            }
            assertEquals(io.jtune.io.gguf.GgmlType.F32, gguf.tensor("blk.0.ffn_gate_inp.weight").type());
            for (int l = 0; l < c.numHiddenLayers(); l++) {
                assertEquals(List.of(4L, (long) width, (long) hidden), toList(gguf.tensor("blk." + l + ".ffn_gate_exps.weight").shape()));
                assertEquals(List.of(4L, (long) width, (long) hidden), toList(gguf.tensor("blk." + l + ".ffn_up_exps.weight").shape()));
                assertEquals(List.of(4L, (long) hidden, (long) width), toList(gguf.tensor("blk." + l + ".ffn_down_exps.weight").shape()));
            }
            assertTrue(gguf.tensors().stream().noneMatch(t -> t.name().matches(".*_exps\\.\\d+\\..*")), "no per-expert tensors");
            // Expert 2's up projection of layer 1 sits at rows [2·width, 3·width) of ffn_up_exps (f16-rounded).
            float[] stacked = gguf.readFloats("blk.1.ffn_up_exps.weight");
            String up = variant.equals("mixtral") ? "model.layers.1.block_sparse_moe.experts.2.w3.weight" : "model.layers.1.mlp.experts.2.up_proj.weight";
            Matrix w = hf.checkpoint().find(up).matrix();
            for (int r = 0; r < width; r++) {
                for (int col = 0; col < hidden; col++) {
                    assertEquals(w.get(r, col), stacked[(2 * width + r) * hidden + col], 1e-3 * Math.max(1, Math.abs(w.get(r, col))));
                }
            }
        }
        // Reading a MoE GGUF back as a model is not supported yet: a clear error, not a wrong model.
        JtuneException e = assertThrows(JtuneException.class, () -> io.jtune.io.gguf.GgufModel.open(result.gguf()).close());
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    }

    private static List<Long> toList(long[] a) {
        List<Long> out = new ArrayList<>();
        for (long v : a) out.add(v);
        return out;
    }

    /** llama.cpp cannot run dense layers in a MoE model, nor jtune write a GGUF adapter over experts: refused, nothing written. */
    @ParameterizedTest
    @ValueSource(strings = {"export_gguf=f16", "export_gguf_adapter=true"})
    void unsupportedGgufExportsAreRefusedBeforeWritingAnything(String override, @TempDir Path shared) throws IOException {
        Path base = checkpoint(shared, "qwen2_moe"), out = shared.resolve("gguf-out"), adapter = shared.resolve("adapter");
        try (HfModelDirectory dir = HfModelDirectory.open(base)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(dir, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, base);
        }
        JtuneException e = assertThrows(JtuneException.class,
                () -> ModelExportTest.export(shared, ModelExportTest.yaml(base, adapter, out), override));
        assertTrue(e.getMessage().contains("not supported yet") && e.getMessage().contains("Mixture-of-Experts"), e.getMessage());
        assertFalse(Files.exists(out), "nothing is written");
    }
}
