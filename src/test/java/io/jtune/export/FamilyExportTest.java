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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
            },
            "phi3", c -> {
                // Fused qkv_proj / gate_up_proj, half of each head rotating, LongRoPE (128k-style).
                c.put("model_type", "phi3");
                c.putArray("architectures").add("Phi3ForCausalLM");
                c.put("partial_rotary_factor", 0.5);
                c.put("max_position_embeddings", 256);
                c.put("original_max_position_embeddings", 16);
                c.put("sliding_window", 8);
                int half = c.get("hidden_size").asInt() / c.get("num_attention_heads").asInt() / 4;
                ObjectNode scaling = c.putObject("rope_scaling");
                scaling.put("type", "longrope");
                for (int i = 0; i < half; i++) {
                    scaling.withArray("short_factor").add(1.0 + 0.1 * i);
                    scaling.withArray("long_factor").add(1.0 + i);
                }
            },
            "glm4", c -> {
                // Sandwich norms, q/k/v bias, fused gate_up_proj, interleaved rotary on half of each head.
                c.put("model_type", "glm4");
                c.putArray("architectures").add("Glm4ForCausalLM");
                c.put("head_dim", c.get("hidden_size").asInt() / c.get("num_attention_heads").asInt());
                c.put("partial_rotary_factor", 0.5);
                c.put("attention_bias", true);
            },
            "gpt2", c -> {
                // Conv1D weights stored [in, out], LayerNorms with bias, learned positions, tied; GPT2Config's own key names.
                c.put("model_type", "gpt2");
                c.putArray("architectures").add("GPT2LMHeadModel");
                c.put("n_embd", c.remove("hidden_size").asInt());
                c.put("n_layer", c.remove("num_hidden_layers").asInt());
                c.put("n_head", c.remove("num_attention_heads").asInt());
                c.put("n_positions", 256);
                c.put("n_ctx", 256);
                c.put("activation_function", "gelu_new");
                c.put("layer_norm_epsilon", 1e-5);
                c.put("tie_word_embeddings", true);
                for (String llamaOnly : List.of("num_key_value_heads", "intermediate_size", "max_position_embeddings", "rms_norm_eps",
                        "rope_theta", "rope_scaling", "hidden_act", "head_dim")) {
                    c.remove(llamaOnly);
                }
            },
            "bloom", c -> {
                // ALiBi, embedding LayerNorm, query_key_value grouped per head; BloomConfig's n_layer / n_head.
                c.put("model_type", "bloom");
                c.putArray("architectures").add("BloomForCausalLM");
                c.put("n_layer", c.remove("num_hidden_layers").asInt());
                c.put("n_head", c.remove("num_attention_heads").asInt());
                c.put("layer_norm_epsilon", 1e-5);
                c.put("apply_residual_connection_post_layernorm", false);
                c.put("tie_word_embeddings", true);
                for (String llamaOnly : List.of("num_key_value_heads", "intermediate_size", "rms_norm_eps", "rope_theta", "rope_scaling",
                        "hidden_act", "head_dim")) {
                    c.remove(llamaOnly);
                }
            },
            "falcon", c -> {
                // The new decoder architecture: 2 kv groups, ln_attn and ln_mlp, biases, RoPE.
                c.put("model_type", "falcon");
                c.putArray("architectures").add("FalconForCausalLM");
                c.put("new_decoder_architecture", true);
                c.put("num_kv_heads", c.remove("num_key_value_heads").asInt());
                c.put("parallel_attn", true);
                c.put("bias", true);
                c.put("alibi", false);
                c.put("layer_norm_epsilon", 1e-5);
                c.put("tie_word_embeddings", true);
                for (String llamaOnly : List.of("intermediate_size", "rms_norm_eps", "rope_scaling", "hidden_act", "head_dim",
                        "attention_bias", "mlp_bias")) {
                    c.remove(llamaOnly);
                }
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
                for (int r = 0; r < m.rows(); r++) {
                    for (int col = 0; col < m.cols(); col++) {
                        // a Conv1D weight (GPT-2) is stored [in, out]
                        data[t.transposed() ? col * m.rows() + r : r * m.cols() + col] = m.get(r, col);
                    }
                }
                tensors.add(TensorToWrite.ofFloats(t.name(), DType.F32, t.shape(), data));
            }
            HfModelWriter.save(dir, config, src.rawGenerationConfig(), llama, tensors, DType.F32, 1L << 30);
        }
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "gemma3_text", "phi3", "glm4", "gpt2", "bloom", "falcon"})
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
            if (arch.equals("gpt2")) {
                // The converter's GPT2Model: LayerNorm epsilon, learned positions, c_attn as attn_qkv [out, in].
                assertEquals(1e-5, gguf.metadata().getDouble("gpt2.attention.layer_norm_epsilon"), 1e-9);
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals("position_embd.weight")));
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals("blk.0.attn_norm.bias")));
                assertTrue(gguf.tensors().stream().noneMatch(g -> g.name().equals("output.weight")), "tied: llama.cpp reuses token_embd");
                ModelConfig c = merged.config();
                var qkv = gguf.tensors().stream().filter(g -> g.name().equals("blk.0.attn_qkv.weight")).findFirst().orElseThrow();
                assertEquals(List.of((long) c.hiddenSize(), 3L * c.hiddenSize()), java.util.Arrays.stream(qkv.dims()).boxed().toList(),
                        "GGUF dims: ne0 = in, ne1 = out");
            }
            if (arch.equals("falcon")) {
                // The converter's FalconModel: per kv group [q q k v] regrouped to all q, all k, all v ("jploski").
                ModelConfig c = merged.config();
                int d = c.headDim(), heads = c.numAttentionHeads(), kv = c.numKeyValueHeads(), per = heads / kv;
                assertEquals("jploski", gguf.metadata().getString("falcon.tensor_data_layout"));
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals("blk.0.attn_norm_2.weight")), "ln_mlp");
                float[] qkv = gguf.readFloats("blk.1.attn_qkv.bias");
                float[] hf = new float[qkv.length];
                merged.matrix("transformer.h.1.self_attention.query_key_value.bias").readRow(0, 0, qkv.length, hf, 0);
                for (int x = 0; x < d; x++) {
                    int group = kv - 1;   // the last group: its last query head, its key, its value
                    assertEquals(hf[(group * (per + 2) + per - 1) * d + x], qkv[(heads - 1) * d + x], 1e-6f);
                    assertEquals(hf[(group * (per + 2) + per) * d + x], qkv[(heads + group) * d + x], 1e-6f);
                    assertEquals(hf[(group * (per + 2) + per + 1) * d + x], qkv[(heads + kv + group) * d + x], 1e-6f);
                }
            }
            if (arch.equals("bloom")) {
                // The converter's BloomModel: query_key_value regrouped from [q k v] per head to all q, all k, all v.
                ModelConfig c = merged.config();
                int h = c.hiddenSize(), d = c.headDim();
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals("token_embd_norm.bias")));
                float[] qkv = gguf.readFloats("blk.0.attn_qkv.bias");
                float[] hf = new float[3 * h];
                merged.matrix("transformer.h.0.self_attention.query_key_value.bias").readRow(0, 0, 3 * h, hf, 0);
                int head = c.numAttentionHeads() - 1;
                for (int x = 0; x < d; x++) {
                    assertEquals(hf[head * 3 * d + x], qkv[head * d + x], 1e-6f, "q of the last head");
                    assertEquals(hf[head * 3 * d + d + x], qkv[h + head * d + x], 1e-6f, "k of the last head");
                    assertEquals(hf[head * 3 * d + 2 * d + x], qkv[2 * h + head * d + x], 1e-6f, "v of the last head");
                }
            }
            if (arch.equals("phi3")) {
                // The converter's Phi3MiniModel: rotated dimensions, original context, window, LongRoPE's factors.
                ModelConfig c = merged.config();
                assertEquals(c.rotaryDim(), gguf.metadata().getLong("phi3.rope.dimension_count"));
                assertEquals(16, gguf.metadata().getLong("phi3.rope.scaling.original_context_length"));
                assertEquals(8, gguf.metadata().getLong("phi3.attention.sliding_window"));
                assertEquals(Math.sqrt(1 + Math.log(16) / Math.log(16)), gguf.metadata().getDouble("phi3.rope.scaling.attn_factor"), 1e-6);
                assertEquals("rope_factors_long.weight", gguf.tensors().get(0).name());
                assertEquals("rope_factors_short.weight", gguf.tensors().get(1).name());
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals("blk.0.attn_qkv.weight")));
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals("blk.0.ffn_up.weight")));
            }
            if (arch.equals("glm4")) {
                // The converter's Glm4Model: half of each head rotates; the sandwich norms under llama.cpp's names.
                ModelConfig c = merged.config();
                assertEquals(c.headDim() / 2, gguf.metadata().getLong("glm4.rope.dimension_count"));
                for (String name : List.of("blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight", "blk.0.post_ffw_norm.weight",
                        "blk.0.attn_q.bias", "blk.0.ffn_up.weight")) {
                    assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals(name)), "GGUF lacks " + name);
                }
                assertEquals(2L * c.intermediateSize(), gguf.tensors().stream().filter(g -> g.name().equals("blk.0.ffn_up.weight"))
                        .findFirst().orElseThrow().shape()[0]);
            }
        }
    }

    /**
     * ChatGLM3 (its own config keys and tensor names, a sentencepiece tokenizer.model and no
     * tokenizer.json): merged export reloads with base + adapter's logits under ChatGLM's names, and the
     * GGUF is llama.cpp's chatglm with the converter's ChatGLM3 vocabulary (model llama, pre
     * chatglm-spm, pieces with scores and types, the special tokens as control tokens after them).
     */
    @Test
    void chatGlm3MergesUnderItsOwnNamesAndItsGgufCarriesTheSentencePieceVocabulary(@TempDir Path shared) throws Exception {
        Path base = io.jtune.infer.ChatGlmChatTest.write(shared.resolve("src")), adapter = shared.resolve("adapter");
        Path out = shared.resolve("merged");
        try (HfModelDirectory dir = HfModelDirectory.open(base)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(dir, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, base);
        }
        String yaml = ModelExportTest.yaml(base, adapter, out).replace("template: chatml", "template: chatglm3");
        ModelExport.Result result = ModelExportTest.export(shared, yaml, "export_gguf=f16");

        float[][] l = ModelExportTest.logits(base, adapter, out);
        assertTrue(ModelExportTest.maxAbsDiff(l[0], l[2]) > 0.05, "the adapter changes the logits");
        assertTrue(ModelExportTest.maxAbsDiff(l[0], l[1]) < 1e-4, "fp32 merge error " + ModelExportTest.maxAbsDiff(l[0], l[1]));
        assertEquals(JSON.readTree(base.resolve("config.json").toFile()), JSON.readTree(out.resolve("config.json").toFile()));
        assertTrue(Files.exists(out.resolve("tokenizer.model")));
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            assertTrue(merged.checkpoint().find("transformer.encoder.layers.0.self_attention.query_key_value.bias") != null);
            assertEquals(Families.of(merged.config()).checkpointTensors(merged.config()).size(), merged.checkpoint().names().size());
        }
        try (GgufReader gguf = GgufReader.open(result.gguf()); HfModelDirectory merged = HfModelDirectory.open(out)) {
            ModelConfig c = merged.config();
            assertEquals("chatglm", gguf.metadata().getString("general.architecture"));
            assertEquals(c.headDim() / 2, gguf.metadata().getLong("chatglm.rope.dimension_count"));
            assertEquals(2, gguf.metadata().getLong("chatglm.attention.head_count_kv"));
            assertEquals(512, gguf.metadata().getLong("chatglm.context_length"));
            for (String name : List.of("token_embd.weight", "blk.0.attn_qkv.weight", "blk.0.attn_qkv.bias", "blk.0.attn_output.weight",
                    "blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "blk.2.ffn_norm.weight", "output_norm.weight", "output.weight")) {
                assertTrue(gguf.tensors().stream().anyMatch(g -> g.name().equals(name)), "GGUF lacks " + name);
            }
            assertEquals("llama", gguf.metadata().getString("tokenizer.ggml.model"));
            assertEquals("chatglm-spm", gguf.metadata().getString("tokenizer.ggml.pre"));
            var tokens = gguf.metadata().getStringList("tokenizer.ggml.tokens");
            assertEquals(c.vocabSize(), tokens.size());
            assertEquals("<eos>", tokens.get(2));
            var sp = io.jtune.tokenizer.sentencepiece.SentencePieceProcessor.load(out.resolve("tokenizer.model"));
            assertEquals("[gMASK]", tokens.get(sp.size() + 1));
            assertEquals("[PAD" + (c.vocabSize() - 1) + "]", tokens.get(c.vocabSize() - 1));
        }
    }
}
