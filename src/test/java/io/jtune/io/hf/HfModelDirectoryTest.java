package io.jtune.io.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelDirectoryTest {
    @TempDir Path dir;

    static final String QWEN2 = """
            {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 10, "hidden_size": 8,
             "intermediate_size": 12, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
             "tie_word_embeddings": true, "torch_dtype": "bfloat16"}""";
    static final String QWEN3 = """
            {"model_type": "qwen3", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
             "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 6, "tie_word_embeddings": false}""";
    static final String LLAMA_BIASED = """
            {"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
             "num_attention_heads": 2, "num_key_value_heads": 2, "attention_bias": true, "mlp_bias": true}""";

    static ModelConfig config(String json) throws Exception {
        return HfConfigReader.parse((ObjectNode) new ObjectMapper().readTree(json), Path.of("config.json"));
    }

    /** The tensors a checkpoint of c holds, as its family declares them. */
    static List<ModelTensor> expected(ModelConfig c) {
        return Families.of(c).checkpointTensors(c);
    }

    /** Tensor i holds values i*1000 + 0, 1, 2, ... so every element is recognisable. */
    static List<TensorToWrite> weights(ModelConfig c, DType dtype) {
        List<TensorToWrite> out = new ArrayList<>();
        int i = 0;
        for (ModelTensor e : expected(c)) {
            long n = 1;
            for (long d : e.shape()) n *= d;
            float[] v = new float[(int) n];
            for (int j = 0; j < v.length; j++) v[j] = i * 1000 + j;
            out.add(TensorToWrite.ofFloats(e.name(), dtype, e.shape(), v));
            i++;
        }
        return out;
    }

    Path model(String configJson, UnaryOperator<List<TensorToWrite>> edit, long maxShardBytes) throws Exception {
        Files.writeString(dir.resolve("config.json"), configJson);
        SafetensorsWriter.writeCheckpoint(dir, edit.apply(new ArrayList<>(weights(config(configJson), DType.F32))), maxShardBytes);
        return dir;
    }

    @Test
    void expectedNamesPerFamily() throws Exception {
        List<String> qwen2 = expected(config(QWEN2)).stream().map(ModelTensor::name).toList();
        assertEquals("model.embed_tokens.weight", qwen2.getFirst());
        assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
                "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.k_proj.bias",
                "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.v_proj.bias",
                "model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.gate_proj.weight",
                "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight"), qwen2.subList(1, 13));
        assertEquals("model.norm.weight", qwen2.getLast()); // tied: no lm_head
        assertEquals(1 + 2 * 12 + 1, qwen2.size());

        List<ModelTensor> qwen3 = expected(config(QWEN3));
        assertEquals("lm_head.weight", qwen3.getLast().name());
        ModelTensor q = qwen3.get(1);
        assertEquals("model.layers.0.self_attn.q_proj.weight", q.name());
        assertArrayEquals(new long[] {12, 8}, q.shape()); // 2 heads x head_dim 6
        assertEquals("model.layers.0.self_attn.q_norm.weight", qwen3.get(5).name());
        assertArrayEquals(new long[] {6}, qwen3.get(5).shape());
        assertArrayEquals(new long[] {8, 12}, qwen3.get(4).shape()); // o_proj [hidden, q]

        List<String> llama = expected(config(LLAMA_BIASED)).stream().map(ModelTensor::name).toList();
        assertTrue(llama.contains("model.layers.0.self_attn.o_proj.bias"));
        assertTrue(llama.contains("model.layers.0.mlp.down_proj.bias"));
    }

    @Test
    void opensAShardedModelAndHandsOutMatrices() throws Exception {
        model(QWEN3, l -> l, 200);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [3, 4], \"temperature\": 0.6}");
        try (HfModelDirectory m = HfModelDirectory.open(dir)) {
            assertTrue(m.checkpoint().files().size() > 3, "sharded");
            assertEquals(6, m.config().headDim());
            assertEquals(List.of(3, 4), m.generationConfig().eosTokenIds());
            assertEquals(0.6, m.generationConfig().temperature());
            Matrix embed = m.matrix("model.embed_tokens.weight");
            assertEquals(10, embed.rows());
            assertEquals(8 * 9 + 7f, embed.get(9, 7)); // tensor 0, element 79
            Matrix kNorm = m.matrix("model.layers.0.self_attn.k_norm.weight"); // tensor 6
            assertEquals(1, kNorm.rows());
            assertEquals(6005f, kNorm.get(0, 5));
            assertEquals(DType.F32, m.tensor("lm_head.weight").dtype());
            HfModelException e = assertThrows(HfModelException.class, () -> m.tensor("model.layers.7.mlp.up_proj.weight"));
            assertTrue(e.getMessage().contains("model.layers.7.mlp.up_proj.weight"), e.getMessage());
            m.checkFinite();
        }
    }

    @Test
    void missingTensorNamesItAndItsShape() throws Exception {
        model(QWEN2, l -> { l.removeIf(t -> t.name().equals("model.layers.1.self_attn.k_proj.bias")); return l; }, 1 << 20);
        HfModelException e = assertThrows(HfModelException.class, () -> HfModelDirectory.open(dir));
        assertEquals(dir, e.file());
        assertTrue(e.getMessage().contains("tensor 'model.layers.1.self_attn.k_proj.bias' is missing (expected shape [4])"), e.getMessage());
    }

    @Test
    void shapeMismatchNamesBothShapes() throws Exception {
        model(QWEN2, l -> {
            l.replaceAll(t -> t.name().equals("model.layers.0.mlp.down_proj.weight")
                    ? TensorToWrite.ofFloats(t.name(), DType.F32, new long[] {12, 8}, new float[96]) : t);
            return l;
        }, 1 << 20);
        HfModelException e = assertThrows(HfModelException.class, () -> HfModelDirectory.open(dir));
        assertTrue(e.getMessage().contains("'model.layers.0.mlp.down_proj.weight' has shape [12, 8] but config.json implies [8, 12]"), e.getMessage());
    }

    @Test
    void unexpectedAndNonFloatTensors() throws Exception {
        model(QWEN2, l -> {
            l.add(TensorToWrite.ofBytes("model.layers.0.mlp.extra.weight", DType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4])));
            l.replaceAll(t -> t.name().equals("model.norm.weight")
                    ? TensorToWrite.ofBytes(t.name(), DType.I32, new long[] {8}, MemorySegment.ofArray(new byte[32])) : t);
            return l;
        }, 1 << 20);
        HfModelException e = assertThrows(HfModelException.class, () -> HfModelDirectory.open(dir));
        assertTrue(e.getMessage().contains("unexpected tensor 'model.layers.0.mlp.extra.weight' [1]"), e.getMessage());
        assertTrue(e.getMessage().contains("'model.norm.weight' has dtype I32"), e.getMessage());
    }

    @Test
    void tiedLmHeadAndOldRopeBuffersAreTolerated() throws Exception {
        model(QWEN2, l -> {
            l.add(TensorToWrite.ofFloats("lm_head.weight", DType.F32, new long[] {10, 8}, new float[80]));
            l.add(TensorToWrite.ofFloats("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, new long[] {2}, new float[2]));
            return l;
        }, 1 << 20);
        try (HfModelDirectory m = HfModelDirectory.open(dir)) {
            assertEquals(26, m.expectedTensors().size());
        }
    }

    @Test
    void nanScanNamesTheTensorAndPosition() throws Exception {
        model(QWEN2, l -> {
            float[] v = new float[12 * 8];
            v[2 * 8 + 5] = Float.NaN;
            l.replaceAll(t -> t.name().equals("model.layers.1.mlp.up_proj.weight") ? TensorToWrite.ofFloats(t.name(), DType.BF16, new long[] {12, 8}, v) : t);
            return l;
        }, 1 << 20);
        try (HfModelDirectory m = HfModelDirectory.open(dir)) {
            HfModelException e = assertThrows(HfModelException.class, m::checkFinite);
            assertTrue(e.getMessage().contains("'model.layers.1.mlp.up_proj.weight' holds NaN or infinity at [2, 5]"), e.getMessage());
        }
    }

    @Test
    void finiteScanPerDtype() throws Exception {
        for (DType d : List.of(DType.F32, DType.BF16, DType.F16)) {
            float[] v = new float[40000];
            v[33333] = Float.NEGATIVE_INFINITY;
            SafetensorsWriter.writeFile(dir.resolve("x.safetensors"), List.of(TensorToWrite.ofFloats("x", d, new long[] {40000}, v)), java.util.Map.of());
            try (var f = io.jtune.io.safetensors.SafetensorsFile.open(dir.resolve("x.safetensors"))) {
                StoredTensor t = f.tensor("x");
                assertEquals(33333, HfModelDirectory.firstNonFinite(t), d.name());
            }
        }
    }

    @Test
    void directoryProblems() throws Exception {
        HfModelException noConfig = assertThrows(HfModelException.class, () -> HfModelDirectory.open(dir));
        assertTrue(noConfig.getMessage().contains("no config.json"), noConfig.getMessage());
        Files.writeString(dir.resolve("config.json"), QWEN2);
        var noWeights = assertThrows(io.jtune.JtuneException.class, () -> HfModelDirectory.open(dir));
        assertTrue(noWeights.getMessage().contains("no model.safetensors or model.safetensors.index.json"), noWeights.getMessage());
    }
}
