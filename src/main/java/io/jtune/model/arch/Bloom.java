package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.KeyNames;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;
import java.util.List;
import java.util.Map;

/**
 * BLOOM (BloomForCausalLM): ALiBi instead of positions (per-head slopes for any head count, as
 * transformers builds them), a LayerNorm on the embeddings (word_embeddings_layernorm), pre-norm
 * blocks with LayerNorms, q/k/v from one projection whose output is grouped per head
 * ([q k v] of head 0, then of head 1, ...), biases on every linear layer, an ungated MLP
 * dense_h_to_4h → tanh-GELU → dense_4h_to_h, a final ln_f and an lm_head tied to the embeddings.
 * bigscience checkpoints leave out "transformer." ("h.0.input_layernorm.weight"); both load.
 * LoRA targets query_key_value, dense, dense_h_to_4h, dense_4h_to_h.
 */
public final class Bloom {
    private Bloom() {}

    /** BloomBlock's modules in registration order. */
    static List<ModuleSpec> layer() {
        return List.of(
                ModuleSpec.layerNorm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.linear(ModuleRole.QKV_PROJ_GROUPED, "self_attention.query_key_value", "attn_qkv",
                        c -> c.qDim() + 2 * c.kvDim(), ModelConfig::hiddenSize, c -> true),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attention.dense", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim, c -> true),
                ModuleSpec.layerNorm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize),
                ModuleSpec.linear(ModuleRole.UP_PROJ, "mlp.dense_h_to_4h", "ffn_up", ModelConfig::intermediateSize, ModelConfig::hiddenSize, c -> true),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.dense_4h_to_h", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize, c -> true));
    }

    public static final ModelFamily FAMILY = new ModelFamily("bloom", "BloomForCausalLM", "bloom",
            Normalization.LAYER_NORM, GatedActivation.GELU_TANH, PositionEncoding.ALIBI,
            List.of(ModuleSpec.embedding("transformer.word_embeddings", "token_embd"),
                    ModuleSpec.layerNorm(ModuleRole.EMBEDDING_NORM, "transformer.word_embeddings_layernorm", "token_embd_norm",
                            ModelConfig::hiddenSize)),
            layer(),
            List.of(ModuleSpec.layerNorm(ModuleRole.FINAL_NORM, "transformer.ln_f", "output_norm", ModelConfig::hiddenSize),
                    ModuleSpec.linear(ModuleRole.LM_HEAD, "lm_head", "output", ModelConfig::vocabSize, ModelConfig::hiddenSize, c -> false)),
            //                        vocab   inter(4h) kvHeads maxPos bos eos headDim tied
            new ModelFamily.HfDefaults(250880, 0, null, 2048, 1, 2, null, true),
            // BloomMLP's bloom_gelu_forward is the tanh GELU whatever config.json says: no activation key
            new HfConfigKeys(AttentionBias.NONE, /* reads mlp_bias */ false, SlidingWindow.NONE, null, null, 0, false,
                    new KeyNames(Map.of("hidden_size", "n_embed", "num_hidden_layers", "n_layer", "num_attention_heads", "n_head",
                            "rms_norm_eps", "layer_norm_epsilon", "max_position_embeddings", "seq_length"),
                            // the residual is the block's input, not its normalised input
                            Map.of("apply_residual_connection_post_layernorm", false),
                            1e-5)),
            ModelFamily.EmbeddingScale.NONE,
            "transformer.h", new ModelFamily.HfNames("transformer.", null));
}
