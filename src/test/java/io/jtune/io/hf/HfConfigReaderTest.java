package io.jtune.io.hf;

import io.jtune.nn.RopeConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfConfigReaderTest {
    private static final Path FILE = Path.of("m", "config.json");
    @TempDir Path dir;

    static ModelConfig parse(String json) throws Exception {
        return HfConfigReader.parse((ObjectNode) new ObjectMapper().readTree(json), FILE);
    }

    static HfModelException fails(String json, String... fragments) {
        HfModelException e = assertThrows(HfModelException.class, () -> parse(json));
        assertEquals(FILE, e.file());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        return e;
    }

    @Test
    void llama3WithOldRopeKeys() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 96, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "head_dim": 16, "hidden_act": "silu", "max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
                 "rope_theta": 500000.0, "bos_token_id": 128000, "eos_token_id": [128001, 128009], "torch_dtype": "bfloat16",
                 "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192},
                 "attention_bias": true, "mlp_bias": true, "tie_word_embeddings": true}""");
        assertEquals("llama", c.modelType());
        assertEquals(16, c.headDim()); // given explicitly, differs from 32 / 4
        assertEquals(64, c.qDim());
        assertEquals(32, c.kvDim());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(new RopeConfig(500000.0, "llama3", 8.0, 1.0, 4.0, 8192), c.rope());
        assertTrue(c.attentionBias());
        assertTrue(c.outputProjectionBias()); // llama's attention_bias biases o_proj too
        assertTrue(c.mlpBias());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.qkNorm());
        assertEquals(128000, c.bosTokenId());
        assertEquals(List.of(128001, 128009), c.eosTokenIds());
        assertNull(c.padTokenId());
        assertNull(c.slidingWindow());
        assertEquals(DType.BF16, c.dtype());
    }

    @Test
    void llamaDefaultsAreTransformers() throws Exception {
        ModelConfig c = parse("{\"model_type\": \"llama\"}");
        assertEquals(32000, c.vocabSize());
        assertEquals(4096, c.hiddenSize());
        assertEquals(11008, c.intermediateSize());
        assertEquals(32, c.numKeyValueHeads()); // = num_attention_heads
        assertEquals(128, c.headDim());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(RopeConfig.plain(10000.0), c.rope());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(1, c.bosTokenId());
        assertEquals(List.of(2), c.eosTokenIds());
        assertNull(c.dtype());
        ModelConfig unset = parse("{\"model_type\": \"llama\", \"bos_token_id\": null, \"eos_token_id\": null}");
        assertNull(unset.bosTokenId());
        assertEquals(List.of(), unset.eosTokenIds());
    }

    @Test
    void newRopeParametersAndDtypeKeys() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "dtype": "float32", "torch_dtype": "bfloat16", "max_position_embeddings": 1000,
                 "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}""");
        assertEquals(new RopeConfig(500000.0, "llama3", 32.0, 1.0, 4.0, 8192), c.rope());
        assertEquals(DType.F32, c.dtype()); // "dtype" (transformers 5) wins over the old torch_dtype
        ModelConfig plain = parse("{\"model_type\": \"qwen3\", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1000000.0}}");
        assertEquals(RopeConfig.plain(1e6), plain.rope());
    }

    @Test
    void oldTypeKeyForLinearAndDynamicScaling() throws Exception {
        ModelConfig linear = parse("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}");
        assertEquals("linear", linear.rope().type());
        assertEquals(2.0, linear.rope().factor());
        ModelConfig dynamic = parse("{\"model_type\": \"llama\", \"max_position_embeddings\": 4096, \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 4.0}}");
        assertEquals("dynamic", dynamic.rope().type());
        assertEquals(4096, dynamic.rope().originalMaxPositionEmbeddings());
    }

    @Test
    void qwen2BiasesAndTiedEmbeddings() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896, "num_attention_heads": 14,
                 "num_key_value_heads": 2, "num_hidden_layers": 24, "intermediate_size": 4864, "vocab_size": 151936,
                 "tie_word_embeddings": true, "use_sliding_window": false, "sliding_window": 32768, "max_window_layers": 21,
                 "rope_theta": 1000000.0, "eos_token_id": 151645, "bos_token_id": 151643, "attention_bias": false}""");
        assertTrue(c.attentionBias());          // q, k, v always biased in qwen2
        assertFalse(c.outputProjectionBias());  // o never
        assertFalse(c.mlpBias());
        assertEquals(64, c.headDim());
        assertTrue(c.tieWordEmbeddings());
        assertNull(c.slidingWindow());          // use_sliding_window false
        assertEquals(List.of(151645), c.eosTokenIds());
        ModelConfig bare = parse("{\"model_type\": \"qwen2\"}");
        assertNull(bare.bosTokenId());
        assertEquals(List.of(), bare.eosTokenIds());
        assertEquals(32, bare.numKeyValueHeads());
        assertEquals(151936, bare.vocabSize());
    }

    @Test
    void qwen3HeadDimAndQkNorm() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "qwen3", "hidden_size": 1024, "num_attention_heads": 16, "num_key_value_heads": 8,
                 "head_dim": 128, "attention_bias": false, "tie_word_embeddings": true}""");
        assertEquals(128, c.headDim()); // not 1024 / 16 = 64
        assertEquals(2048, c.qDim());
        assertTrue(c.qkNorm());
        assertFalse(c.attentionBias());
        assertEquals(128, parse("{\"model_type\": \"qwen3\", \"hidden_size\": 1024, \"num_attention_heads\": 16, \"num_key_value_heads\": 16}").headDim());
        ModelConfig biased = parse("{\"model_type\": \"qwen3\", \"attention_bias\": true}");
        assertTrue(biased.attentionBias() && biased.outputProjectionBias());
    }

    @Test
    void gemmaReadsHiddenActivationAndItsDefaults() throws Exception {
        // google/gemma-2b's keys: hidden_act "gelu" is ignored by GemmaMLP, hidden_activation decides.
        ModelConfig c = parse("{\"model_type\": \"gemma\", \"architectures\": [\"GemmaForCausalLM\"], \"hidden_size\": 2048, "
                + "\"num_attention_heads\": 8, \"num_key_value_heads\": 1, \"head_dim\": 256, \"hidden_act\": \"gelu\", "
                + "\"hidden_activation\": \"gelu_pytorch_tanh\", \"torch_dtype\": \"bfloat16\"}");
        assertEquals("gelu_pytorch_tanh", c.hiddenAct());
        assertEquals(256, c.headDim());
        assertEquals(1, c.numKeyValueHeads());
        // GemmaConfig's defaults: tied, vocab 256000, bos 2, eos 1, no attention bias.
        assertTrue(c.tieWordEmbeddings());
        assertEquals(256000, c.vocabSize());
        assertEquals(2, c.bosTokenId());
        assertEquals(List.of(1), c.eosTokenIds());
        assertFalse(c.attentionBias());
        // Absent or null: gelu_pytorch_tanh, as GemmaMLP falls back to it.
        assertEquals("gelu_pytorch_tanh", parse("{\"model_type\": \"gemma\", \"hidden_activation\": null}").hiddenAct());
        fails("{\"model_type\": \"gemma\", \"hidden_activation\": \"gelu\"}", "hidden_activation", "only \"gelu_pytorch_tanh\"");
        assertFalse(parse("{\"model_type\": \"gemma\", \"tie_word_embeddings\": false}").tieWordEmbeddings());
    }

    @Test
    void gemma2ScoresCapsAndAlternatingWindows() throws Exception {
        ModelConfig c = parse("{\"model_type\": \"gemma2\", \"num_hidden_layers\": 4, \"head_dim\": 256, "
                + "\"query_pre_attn_scalar\": 144, \"sliding_window\": 4096}");
        assertEquals(144, c.queryPreAttnScalar());
        assertEquals(1 / 12.0, c.attentionScale(), 1e-12);
        // Gemma2Config's defaults: caps 50 and 30, tied, 4 kv heads.
        assertEquals(50.0, c.attnLogitSoftcap());
        assertEquals(30.0, c.finalLogitSoftcap());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(4, c.numKeyValueHeads());
        // Layers 0 and 2 slide (layer_idx % 2 == 0), 1 and 3 see everything.
        assertEquals(4096, c.slidingWindow(0));
        assertNull(c.slidingWindow(1));
        assertEquals(4096, c.slidingWindow(2));
        assertNull(c.slidingWindow(3));
        ModelConfig typed = parse("{\"model_type\": \"gemma2\", \"num_hidden_layers\": 2, \"sliding_window\": 8, "
                + "\"layer_types\": [\"full_attention\", \"sliding_attention\"], \"attn_logit_softcapping\": null}");
        assertNull(typed.slidingWindow(0));
        assertEquals(8, typed.slidingWindow(1));
        assertEquals(0.0, typed.attnLogitSoftcap(), "null: no cap");
        assertEquals(1 / 16.0, typed.attentionScale(), 1e-12, "query_pre_attn_scalar defaults to 256");
        fails("{\"model_type\": \"gemma2\", \"num_hidden_layers\": 2, \"layer_types\": [\"full_attention\"]}", "layer_types", "2 layers");
        fails("{\"model_type\": \"gemma2\", \"final_logit_softcapping\": -1}", "final_logit_softcapping", "positive");
        // Families that do not read these keys ignore them, as transformers does.
        assertEquals(0.0, parse("{\"model_type\": \"llama\", \"attn_logit_softcapping\": 50}").attnLogitSoftcap());
    }

    @Test
    void gemma3PatternLocalRopeAndQkNorms() throws Exception {
        // google/gemma-3-1b-it's keys (26 layers; here 7 to see the pattern).
        ModelConfig c = parse("{\"model_type\": \"gemma3_text\", \"architectures\": [\"Gemma3ForCausalLM\"], "
                + "\"num_hidden_layers\": 7, \"head_dim\": 256, \"query_pre_attn_scalar\": 256, \"sliding_window\": 512, "
                + "\"sliding_window_pattern\": 6, \"rope_theta\": 1000000, \"rope_local_base_freq\": 10000, "
                + "\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 8.0}, \"final_logit_softcapping\": null, "
                + "\"attn_logit_softcapping\": null}");
        assertTrue(c.qkNorm());
        for (int layer = 0; layer < 7; layer++) {
            boolean global = layer == 5;
            assertEquals(global ? null : 512, c.slidingWindow(layer), "layer " + layer);
            assertEquals(global ? 1_000_000.0 : 10000.0, c.rope(layer).theta(), "layer " + layer);
            assertEquals(global ? "linear" : "default", c.rope(layer).type(), "only the global RoPE is scaled");
        }
        assertEquals(0.0, c.attnLogitSoftcap());
        assertEquals(0.0, c.finalLogitSoftcap());
        // Gemma3TextConfig's defaults: rope_theta 1e6, local 1e4, pattern 6, no caps, tied.
        ModelConfig bare = parse("{\"model_type\": \"gemma3_text\", \"num_hidden_layers\": 6}");
        assertEquals(1_000_000.0, bare.rope().theta());
        assertEquals(10000.0, bare.localRope().theta());
        assertEquals(4096, bare.slidingWindow(0));
        assertNull(bare.slidingWindow(5));
        assertTrue(bare.tieWordEmbeddings());
        assertEquals(0.0, bare.finalLogitSoftcap());
        // transformers 5's per-layer-type rope_parameters.
        ModelConfig v5 = parse("{\"model_type\": \"gemma3_text\", \"num_hidden_layers\": 2, \"layer_types\": "
                + "[\"sliding_attention\", \"full_attention\"], \"rope_parameters\": {\"full_attention\": {\"rope_type\": \"linear\", "
                + "\"factor\": 8.0, \"rope_theta\": 1000000.0}, \"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}}}");
        assertEquals(8.0, v5.rope(1).factor());
        assertEquals(10000.0, v5.rope(0).theta());
        fails("{\"model_type\": \"gemma3_text\", \"use_bidirectional_attention\": true}", "use_bidirectional_attention");
    }

    /** The config.json files of google/gemma-2b, google/gemma-2-2b-it and google/gemma-3-1b-it, as published. */
    @Test
    void publishedGemmaConfigsReadAndValidate() throws Exception {
        ModelConfig gemma = parse("""
                {"architectures": ["GemmaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 2,
                 "eos_token_id": 1, "head_dim": 256, "hidden_act": "gelu", "hidden_size": 2048, "initializer_range": 0.02,
                 "intermediate_size": 16384, "max_position_embeddings": 8192, "model_type": "gemma", "num_attention_heads": 8,
                 "num_hidden_layers": 18, "num_key_value_heads": 1, "pad_token_id": 0, "rms_norm_eps": 1e-06,
                 "rope_scaling": null, "rope_theta": 10000.0, "torch_dtype": "bfloat16", "transformers_version": "4.38.0.dev0",
                 "use_cache": true, "vocab_size": 256000}""");
        ModelConfig gemma2 = parse("""
                {"architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
                 "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": [1, 107],
                 "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
                 "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
                 "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 8,
                 "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0, "query_pre_attn_scalar": 256,
                 "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096, "torch_dtype": "bfloat16",
                 "transformers_version": "4.42.4", "use_cache": true, "vocab_size": 256000}""");
        ModelConfig gemma3 = parse("""
                {"architectures": ["Gemma3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
                 "attn_logit_softcapping": null, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": [1, 106],
                 "final_logit_softcapping": null, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152,
                 "initializer_range": 0.02, "intermediate_size": 6912, "max_position_embeddings": 32768,
                 "model_type": "gemma3_text", "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
                 "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000,
                 "rope_scaling": null, "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6,
                 "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0", "use_cache": true, "vocab_size": 262144}""");
        for (ModelConfig c : List.of(gemma, gemma2, gemma3)) io.jtune.model.arch.Families.of(c).validate(c);
        assertTrue(gemma.tieWordEmbeddings() && gemma2.tieWordEmbeddings() && gemma3.tieWordEmbeddings());
        assertEquals("gelu_pytorch_tanh", gemma.hiddenAct(), "hidden_act gelu is not what GemmaMLP runs");
        assertEquals(45.25f, io.jtune.model.arch.Families.of(gemma).embeddingScale().multiplier(gemma), "√2048 in bf16");
        assertEquals(List.of(1, 107), gemma2.eosTokenIds());
        assertEquals(4096, gemma2.slidingWindow(24));
        assertNull(gemma2.slidingWindow(25));
        assertEquals(1.0 / 16, gemma3.attentionScale(), 1e-12);
        assertEquals(512, gemma3.slidingWindow(0));
        assertNull(gemma3.slidingWindow(23));
        assertEquals(1_000_000.0, gemma3.rope(23).theta());
        assertEquals(10000.0, gemma3.rope(24).theta());
    }

    @Test
    void slidingWindows() throws Exception {
        ModelConfig mistral = parse("{\"model_type\": \"mistral\"}");
        assertEquals(4096, mistral.slidingWindow()); // MistralConfig's default
        assertEquals(8, mistral.numKeyValueHeads());
        assertEquals(14336, mistral.intermediateSize());
        // An explicit null means as many kv heads as query heads; a null head_dim means hidden / heads.
        ModelConfig nulls = parse("{\"model_type\": \"mistral\", \"num_key_value_heads\": null, \"head_dim\": null, "
                + "\"hidden_size\": 64, \"num_attention_heads\": 4}");
        assertEquals(4, nulls.numKeyValueHeads());
        assertEquals(16, nulls.headDim());
        // head_dim given: hidden_size need not be a multiple of the heads.
        assertEquals(64, parse("{\"model_type\": \"llama\", \"hidden_size\": 100, \"num_attention_heads\": 3, \"head_dim\": 64}").headDim());
        assertNull(parse("{\"model_type\": \"mistral\", \"sliding_window\": null}").slidingWindow());
        assertFalse(parse("{\"model_type\": \"mistral\", \"attention_bias\": true}").attentionBias());
        ModelConfig allSliding = parse("{\"model_type\": \"qwen2\", \"num_hidden_layers\": 4, \"use_sliding_window\": true, "
                + "\"sliding_window\": 512, \"max_window_layers\": 0}");
        assertEquals(512, allSliding.slidingWindow());
        assertNull(parse("{\"model_type\": \"qwen2\", \"num_hidden_layers\": 4, \"use_sliding_window\": true, \"max_window_layers\": 4}").slidingWindow());
        fails("{\"model_type\": \"qwen2\", \"num_hidden_layers\": 4, \"use_sliding_window\": true, \"max_window_layers\": 2}",
                "use_sliding_window", "all layers or none");
        fails("{\"model_type\": \"qwen3\", \"use_sliding_window\": true, \"layer_types\": [\"full_attention\", \"sliding_attention\"]}",
                "all layers or none");
    }

    /**
     * microsoft/Phi-4-mini-instruct's keys (its 48 short and long factors replaced by made-up values of
     * the same length) and microsoft/Phi-3-mini-4k-instruct's.
     */
    @Test
    void phi3PartialRotaryLongRopeAndWindow() throws Exception {
        StringBuilder shortF = new StringBuilder(), longF = new StringBuilder();
        for (int i = 0; i < 48; i++) {
            shortF.append(i == 0 ? "" : ", ").append(1.0 + i / 100.0);
            longF.append(i == 0 ? "" : ", ").append(1.0 + i);
        }
        ModelConfig mini = parse("{\"architectures\": [\"Phi3ForCausalLM\"], \"model_type\": \"phi3\", \"hidden_size\": 3072, "
                + "\"intermediate_size\": 8192, \"num_hidden_layers\": 32, \"num_attention_heads\": 24, \"num_key_value_heads\": 8, "
                + "\"vocab_size\": 200064, \"max_position_embeddings\": 131072, \"original_max_position_embeddings\": 4096, "
                + "\"partial_rotary_factor\": 0.75, \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-05, \"hidden_act\": \"silu\", "
                + "\"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [" + shortF + "], \"long_factor\": [" + longF + "]}, "
                + "\"sliding_window\": 262144, \"tie_word_embeddings\": true, \"bos_token_id\": 199999, \"eos_token_id\": 199999, "
                + "\"pad_token_id\": 199999, \"resid_pdrop\": 0.0, \"torch_dtype\": \"bfloat16\"}");
        assertEquals(128, mini.headDim());
        assertEquals(96, mini.rotaryDim());
        assertTrue(mini.rope().isLongRope());
        assertEquals(4096, mini.rope().originalMaxPositionEmbeddings());
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), mini.rope().attentionFactor(), 1e-12);
        assertEquals(48.0, mini.rope().longFactor()[47]);
        assertEquals(262144, mini.slidingWindow());
        assertTrue(mini.tieWordEmbeddings());
        Families.of(mini).validate(mini);

        ModelConfig phi3 = parse("{\"model_type\": \"phi3\", \"hidden_size\": 3072, \"num_attention_heads\": 32, "
                + "\"rope_scaling\": null, \"sliding_window\": 2047, \"original_max_position_embeddings\": 4096}");
        assertEquals(96, phi3.headDim());
        assertEquals(96, phi3.rotaryDim());
        assertEquals(2047, phi3.slidingWindow());
        assertEquals(32064, phi3.vocabSize());
        assertEquals(List.of(32000), phi3.eosTokenIds());
        assertFalse(phi3.tieWordEmbeddings());
        assertNull(parse("{\"model_type\": \"phi3\"}").slidingWindow(), "Phi3Config's sliding_window defaults to None");

        fails("{\"model_type\": \"phi3\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"partial_rotary_factor\": 0.5, "
                + "\"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0], \"long_factor\": [1.0, 2.0, 3.0, 4.0]}}",
                "rope_scaling.short_factor", "needs 4");
        fails("{\"model_type\": \"phi3\", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}", "linear", "longrope");
        fails("{\"model_type\": \"phi3\", \"partial_rotary_factor\": 1.5}", "partial_rotary_factor", "(0, 1]");
    }

    @Test
    void glm4KeysOfGlm4_9b_0414() throws Exception {
        ModelConfig glm4 = parse("{\"architectures\": [\"Glm4ForCausalLM\"], \"model_type\": \"glm4\", \"attention_bias\": true, "
                + "\"eos_token_id\": [151329, 151336, 151338], \"head_dim\": 128, \"hidden_act\": \"silu\", \"hidden_size\": 4096, "
                + "\"intermediate_size\": 13696, \"max_position_embeddings\": 32768, \"num_attention_heads\": 32, "
                + "\"num_hidden_layers\": 40, \"num_key_value_heads\": 2, \"pad_token_id\": 151329, \"partial_rotary_factor\": 0.5, "
                + "\"rms_norm_eps\": 1e-05, \"rope_theta\": 10000.0, \"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\", "
                + "\"vocab_size\": 151552}");
        assertEquals(64, glm4.rotaryDim());
        assertTrue(glm4.attentionBias());
        assertFalse(glm4.outputProjectionBias(), "Glm4Attention's o_proj never has a bias");
        assertEquals(List.of(151329, 151336, 151338), glm4.eosTokenIds());
        assertEquals(2, glm4.numKeyValueHeads());
        Families.of(glm4).validate(glm4);

        // Glm4Config's defaults: partial_rotary_factor 0.5, attention_bias true, two kv heads, head_dim 128.
        ModelConfig defaults = parse("{\"model_type\": \"glm4\"}");
        assertEquals(0.5, defaults.partialRotaryFactor());
        assertEquals(64, defaults.rotaryDim());
        assertTrue(defaults.attentionBias());
        assertEquals(2, defaults.numKeyValueHeads());
        assertEquals(151552, defaults.vocabSize());
        assertFalse(parse("{\"model_type\": \"glm4\", \"attention_bias\": false}").attentionBias());
        fails("{\"model_type\": \"glm4\", \"partial_rotary_factor\": 0}", "partial_rotary_factor", "(0, 1]");
        ModelConfig v5 = parse("{\"model_type\": \"glm4\", \"head_dim\": 128, "
                + "\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0, \"partial_rotary_factor\": 0.25}}");
        assertEquals(32, v5.rotaryDim(), "transformers 5 writes partial_rotary_factor into rope_parameters");
    }

    @Test
    void chatGlmKeysOfChatGlm3_6bAndGlm4_9bChat() throws Exception {
        String chatglm3 = "{\"_name_or_path\": \"THUDM/chatglm3-6b\", \"model_type\": \"chatglm\", \"architectures\": [\"ChatGLMModel\"], "
                + "\"add_bias_linear\": false, \"add_qkv_bias\": true, \"apply_query_key_layer_scaling\": true, "
                + "\"apply_residual_connection_post_layernorm\": false, \"attention_dropout\": 0.0, \"attention_softmax_in_fp32\": true, "
                + "\"bias_dropout_fusion\": true, \"ffn_hidden_size\": 13696, \"fp32_residual_connection\": false, \"hidden_dropout\": 0.0, "
                + "\"hidden_size\": 4096, \"kv_channels\": 128, \"layernorm_epsilon\": 1e-05, \"multi_query_attention\": true, "
                + "\"multi_query_group_num\": 2, \"num_attention_heads\": 32, \"num_layers\": 28, \"original_rope\": true, "
                + "\"padded_vocab_size\": 65024, \"post_layer_norm\": true, \"rmsnorm\": true, \"seq_length\": 8192, \"use_cache\": true, "
                + "\"torch_dtype\": \"float16\", \"tie_word_embeddings\": false, \"eos_token_id\": 2, \"pad_token_id\": 0}";
        ModelConfig c = parse(chatglm3);
        assertEquals(65024, c.vocabSize());
        assertEquals(28, c.numHiddenLayers());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(128, c.headDim());
        assertEquals(64, c.rotaryDim(), "rotary on half of kv_channels");
        assertEquals(10000.0, c.rope().theta());
        assertEquals(8192, c.maxPositionEmbeddings());
        assertTrue(c.attentionBias());
        assertFalse(c.outputProjectionBias() || c.mlpBias() || c.tieWordEmbeddings());
        assertEquals(List.of(2), c.eosTokenIds());
        assertEquals(DType.F16, c.dtype());
        Families.of(c).validate(c);

        ModelConfig glm4chat = parse(chatglm3.replace("\"num_layers\": 28", "\"num_layers\": 40")
                .replace("\"padded_vocab_size\": 65024", "\"padded_vocab_size\": 151552, \"rope_ratio\": 500")
                .replace("\"eos_token_id\": 2", "\"eos_token_id\": [151329, 151336, 151338]"));
        assertEquals(5_000_000.0, glm4chat.rope().theta(), "base 10000 * rope_ratio");
        assertEquals(List.of(151329, 151336, 151338), glm4chat.eosTokenIds());

        fails(chatglm3.replace("\"multi_query_attention\": true", "\"multi_query_attention\": false"), "multi_query_attention", "not supported");
        fails(chatglm3.replace("\"rmsnorm\": true", "\"rmsnorm\": false"), "rmsnorm", "LayerNorm");
        fails(chatglm3.replace("\"multi_query_group_num\": 2", "\"multi_query_group_num\": 3"), "multi_query_group_num", "divide");
        fails(chatglm3.replace("\"ChatGLMModel\"", "\"ChatGLMForSequenceClassification\""), "architectures", "ChatGLMModel");
        fails(chatglm3.replace("\"use_cache\": true", "\"pre_seq_len\": 128"), "pre_seq_len", "P-tuning");
    }

    @Test
    void unsupportedThingsListWhatIsSupported() {
        fails("{\"model_type\": \"deepseek_v2\"}", "\"deepseek_v2\" is not supported",
                String.join(", ", io.jtune.model.arch.Families.modelTypes()));
        fails("{}", "model_type", "missing");
        fails("{\"model_type\": \"llama\", \"architectures\": [\"LlamaForSequenceClassification\"]}",
                "LlamaForSequenceClassification", "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM, Phi3ForCausalLM, Glm4ForCausalLM, ChatGLMModel");
        fails("{\"model_type\": \"llama\", \"hidden_act\": \"gelu\"}", "hidden_act", "only \"silu\"");
        fails("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}", "rope_scaling.rope_type", "yarn", "llama3");
        fails("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}", "low_freq_factor", "required");
        fails("{\"model_type\": \"llama\", \"torch_dtype\": \"float8_e4m3fn\"}", "torch_dtype", "bfloat16, float16, float32");
    }

    @Test
    void badValuesNameTheKey() {
        fails("{\"model_type\": \"llama\", \"hidden_size\": \"4096\"}", "\"hidden_size\" must be an integer");
        fails("{\"model_type\": \"llama\", \"num_hidden_layers\": 0}", "num_hidden_layers", "positive");
        fails("{\"model_type\": \"llama\", \"num_attention_heads\": 6, \"num_key_value_heads\": 4, \"hidden_size\": 60}", "must divide");
        fails("{\"model_type\": \"llama\", \"eos_token_id\": \"</s>\"}", "eos_token_id", "integer or a list");
        fails("{\"model_type\": \"llama\", \"tie_word_embeddings\": 1}", "tie_word_embeddings", "true or false");
    }

    @Test
    void readsFromAFile() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"model_type\": \"mistral\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"num_key_value_heads\": 2}");
        assertEquals(16, HfConfigReader.read(f).headDim());
        Files.writeString(f, "{\"model_type\": ");
        HfModelException e = assertThrows(HfModelException.class, () -> HfConfigReader.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void generationConfig() throws Exception {
        assertEquals(GenerationConfig.defaults(), GenerationConfig.read(dir.resolve("generation_config.json")));
        Path f = dir.resolve("generation_config.json");
        Files.writeString(f, """
                {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
                 "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "transformers_version": "4.37.0"}""");
        assertEquals(new GenerationConfig(List.of(151645, 151643), 151643, 151643, true, 0.7, 0.8, 20, 1.1, null),
                GenerationConfig.read(f));
        Files.writeString(f, "{\"eos_token_id\": 2, \"max_new_tokens\": 256, \"pad_token_id\": null}");
        GenerationConfig g = GenerationConfig.read(f);
        assertEquals(List.of(2), g.eosTokenIds());
        assertEquals(256, g.maxNewTokens());
        assertNull(g.padTokenId());
        assertEquals(50, g.topK());
        Files.writeString(f, "{\"top_p\": 1.5}");
        assertTrue(assertThrows(HfModelException.class, () -> GenerationConfig.read(f)).getMessage().contains("\"top_p\""));
    }
}
