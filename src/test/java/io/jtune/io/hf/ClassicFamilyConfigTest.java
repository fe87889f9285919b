package io.jtune.io.hf;

import static io.jtune.io.hf.HfConfigReaderTest.fails;
import static io.jtune.io.hf.HfConfigReaderTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** config.json of the LayerNorm families, with their config classes' own key names and defaults. */
class ClassicFamilyConfigTest {
    @Test
    void gpt2ReadsItsOwnKeyNames() throws Exception {
        // openai-community/gpt2's config.json (task_specific_params left out).
        ModelConfig c = parse("""
                {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
                 "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
                 "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
                 "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
                 "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
                 "summary_use_proj": true, "vocab_size": 50257}""");
        assertEquals("gpt2", c.modelType());
        assertEquals(768, c.hiddenSize());
        assertEquals(3072, c.intermediateSize(), "n_inner absent: 4 x n_embd");
        assertEquals(12, c.numHiddenLayers());
        assertEquals(12, c.numAttentionHeads());
        assertEquals(12, c.numKeyValueHeads());
        assertEquals(64, c.headDim());
        assertEquals(1024, c.maxPositionEmbeddings());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(50257, c.vocabSize());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(List.of(50256), c.eosTokenIds());
        // 124M parameters: wte, wpe, 12 blocks, ln_f (lm_head is wte).
        long params = Families.of(c).checkpointTensors(c).stream().mapToLong(t -> t.elements()).sum();
        assertEquals(124_439_808L, params);
    }

    @Test
    void gpt2DefaultsAndUnsupportedFlags() throws Exception {
        ModelConfig c = parse("{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_head\": 4, \"n_inner\": 100}");
        assertEquals(100, c.intermediateSize());
        fails("{\"model_type\": \"gpt2\", \"scale_attn_by_inverse_layer_idx\": true}", "scale_attn_by_inverse_layer_idx", "false");
        fails("{\"model_type\": \"gpt2\", \"scale_attn_weights\": false}", "scale_attn_weights", "true");
        fails("{\"model_type\": \"gpt2\", \"activation_function\": \"relu\"}", "activation_function", "gelu_pytorch_tanh");
    }

    @Test
    void bloomReadsItsOwnKeyNames() throws Exception {
        // bigscience/bloom-560m's config.json (fusion flags left out).
        ModelConfig c = parse("""
                {"apply_residual_connection_post_layernorm": false, "architectures": ["BloomForCausalLM"],
                 "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "hidden_dropout": 0.0, "hidden_size": 1024,
                 "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "bloom", "n_head": 16, "n_inner": null,
                 "n_layer": 24, "offset_alibi": 100, "pad_token_id": 3, "pretraining_tp": 1, "skip_bias_add": true,
                 "skip_bias_add_qkv": false, "slow_but_exact": false, "unk_token_id": 0, "use_cache": true, "vocab_size": 250880}""");
        assertEquals(1024, c.hiddenSize());
        assertEquals(24, c.numHiddenLayers());
        assertEquals(16, c.numAttentionHeads());
        assertEquals(4096, c.intermediateSize());
        assertEquals(559_214_592L, Families.of(c).checkpointTensors(c).stream().mapToLong(t -> t.elements()).sum());
        assertEquals(64, parse("{\"model_type\": \"bloom\", \"n_embed\": 64, \"n_head\": 4}").hiddenSize(), "the old n_embed");
        fails("{\"model_type\": \"bloom\", \"apply_residual_connection_post_layernorm\": true}",
                "apply_residual_connection_post_layernorm", "false");
    }

    @Test
    void falconReadsItsLayoutKeys() throws Exception {
        // tiiuae/falcon-7b-instruct's config.json
        ModelConfig c = parse("""
                {"alibi": false, "apply_residual_connection_post_layernorm": false, "architectures": ["FalconForCausalLM"],
                 "attention_dropout": 0.0, "bias": false, "bos_token_id": 11, "eos_token_id": 11, "hidden_dropout": 0.0,
                 "hidden_size": 4544, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "falcon",
                 "multi_query": true, "new_decoder_architecture": false, "num_attention_heads": 71, "num_hidden_layers": 32,
                 "parallel_attn": true, "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 65024}""");
        assertEquals(1, c.numKeyValueHeads(), "multi_query");
        assertEquals(64, c.headDim());
        assertEquals(1, c.parallelNorms());
        assertEquals(18176, c.intermediateSize());
        assertEquals(List.of(11), c.eosTokenIds());
        assertTrue(c.tieWordEmbeddings());
        assertTrue(!c.attentionBias() && !c.mlpBias());
        assertEquals(6_921_720_704L, Families.of(c).checkpointTensors(c).stream().mapToLong(t -> t.elements()).sum());
        // tiiuae/falcon-40b: the new decoder architecture
        ModelConfig big = parse("""
                {"model_type": "falcon", "hidden_size": 8192, "num_attention_heads": 128, "num_hidden_layers": 60, "num_kv_heads": 8,
                 "new_decoder_architecture": true, "parallel_attn": true, "bias": false, "alibi": false, "vocab_size": 65024}""");
        assertEquals(8, big.numKeyValueHeads());
        assertEquals(2, big.parallelNorms(), "ln_attn and ln_mlp");
        assertTrue(Families.of(big).checkpointTensors(big).stream().anyMatch(t -> t.name().equals("transformer.h.59.ln_mlp.bias")));
        assertEquals(1, parse("{\"model_type\": \"falcon\", \"new_decoder_architecture\": true, \"num_ln_in_parallel_attn\": 1}")
                .parallelNorms());
        assertEquals(0, parse("{\"model_type\": \"falcon\", \"parallel_attn\": false, \"multi_query\": false}").parallelNorms());
        fails("{\"model_type\": \"falcon\", \"alibi\": true}", "alibi", "not supported yet");
        fails("{\"model_type\": \"falcon\", \"activation\": \"relu\"}", "activation", "gelu");
    }
}
