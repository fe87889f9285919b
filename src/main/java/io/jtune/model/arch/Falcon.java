package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.KeyNames;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;
import java.util.List;
import java.util.Map;

/**
 * Falcon (FalconForCausalLM), both layouts: Falcon-7B's (parallel_attn: attention and the MLP both read
 * one LayerNorm of the block's input, x + attn(ln(x)) + mlp(ln(x)); multi_query: one key/value head)
 * and the new decoder architecture of Falcon-40B/180B (grouped key/value heads, num_kv_heads; a
 * LayerNorm each, ln_attn and ln_mlp). RoPE on the whole head (rope_theta, rope_scaling), q/k/v from
 * one projection grouped per kv group (each group's query heads, then its key and value head), an
 * ungated MLP with exact GELU, biases when config.json's bias says so, tied embeddings. The ALiBi
 * variants (alibi: true) are refused when config.json is read. LoRA targets query_key_value, dense,
 * dense_h_to_4h, dense_4h_to_h. config.json's multi_query, new_decoder_architecture, parallel_attn and
 * num_ln_in_parallel_attn become num_key_value_heads and parallelNorms (io.jtune.io.hf reads them).
 */
public final class Falcon {
    private Falcon() {}

    /** FalconDecoderLayer's modules in registration order: attention, MLP, then the norms its config has. */
    static List<ModuleSpec> layer() {
        return List.of(
                ModuleSpec.linear(ModuleRole.QKV_PROJ_GROUPED, "self_attention.query_key_value", "attn_qkv",
                        c -> c.qDim() + 2 * c.kvDim(), ModelConfig::hiddenSize, ModelConfig::attentionBias),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attention.dense", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim,
                        ModelConfig::attentionBias),
                ModuleSpec.linear(ModuleRole.UP_PROJ, "mlp.dense_h_to_4h", "ffn_up", ModelConfig::intermediateSize, ModelConfig::hiddenSize,
                        ModelConfig::mlpBias),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.dense_4h_to_h", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize,
                        ModelConfig::mlpBias),
                ModuleSpec.layerNorm(ModuleRole.ATTENTION_NORM, "ln_attn", "attn_norm", ModelConfig::hiddenSize)
                        .onlyIf(c -> c.parallelNorms() == 2),
                ModuleSpec.layerNorm(ModuleRole.MLP_NORM, "ln_mlp", "attn_norm_2", ModelConfig::hiddenSize)
                        .onlyIf(c -> c.parallelNorms() == 2),
                ModuleSpec.layerNorm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize)
                        .onlyIf(c -> c.parallelNorms() != 2),
                ModuleSpec.layerNorm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize)
                        .onlyIf(c -> c.parallelNorms() == 0));
    }

    public static final ModelFamily FAMILY = new ModelFamily("falcon", "FalconForCausalLM", "falcon",
            Normalization.LAYER_NORM, GatedActivation.GELU_EXACT, PositionEncoding.ROTARY,
            List.of(ModuleSpec.embedding("transformer.word_embeddings", "token_embd")),
            layer(),
            List.of(ModuleSpec.layerNorm(ModuleRole.FINAL_NORM, "transformer.ln_f", "output_norm", ModelConfig::hiddenSize),
                    ModuleSpec.linear(ModuleRole.LM_HEAD, "lm_head", "output", ModelConfig::vocabSize, ModelConfig::hiddenSize, c -> false)),
            //                        vocab  inter(4h) kvHeads maxPos bos eos headDim tied
            new ModelFamily.HfDefaults(65024, 0, null, 2048, 11, 11, null, true),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ true, SlidingWindow.NONE, "activation", null, 0,
                    false,
                    // bias (default false) biases every linear layer; ffn_hidden_size (None: 4 x hidden) is the MLP's width
                    new KeyNames(Map.of("num_hidden_layers", "n_layer", "num_attention_heads", "n_head", "rms_norm_eps", "layer_norm_epsilon",
                            "attention_bias", "bias", "mlp_bias", "bias", "intermediate_size", "ffn_hidden_size"),
                            Map.of("apply_residual_connection_post_layernorm", false),
                            1e-5)),
            ModelFamily.EmbeddingScale.NONE,
            "transformer.h", new ModelFamily.HfNames("transformer.", null));
}
