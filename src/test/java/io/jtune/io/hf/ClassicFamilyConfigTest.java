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
}
