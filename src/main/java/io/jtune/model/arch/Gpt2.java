package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.KeyNames;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 (GPT2LMHeadModel): learned absolute positions (wpe) added to the token embeddings, pre-norm
 * blocks with LayerNorm (weight and bias), attention from one fused projection c_attn ([q | k | v]
 * columns) with biases, an ungated MLP c_fc → gelu_new (tanh) → c_proj, a final ln_f and an lm_head
 * tied to wte. Its linear layers are transformers' Conv1D: the checkpoint stores each weight as
 * [in x out], which the engine transposes when it loads and back when it writes HF files. Checkpoints
 * saved from GPT2Model leave out "transformer." (openai-community/gpt2: "h.0.ln_1.weight") and old ones
 * hold the causal-mask buffers attn.bias / attn.masked_bias; both load. LoRA targets c_attn, c_proj
 * (attention's and the MLP's, as PEFT matches names) and c_fc.
 */
public final class Gpt2 {
    private Gpt2() {}

    /** GPT2Block's modules in registration order: ln_1, attn (c_attn, c_proj), ln_2, mlp (c_fc, c_proj). */
    static List<ModuleSpec> layer() {
        return List.of(
                ModuleSpec.layerNorm(ModuleRole.ATTENTION_NORM, "ln_1", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.conv1d(ModuleRole.QKV_PROJ, "attn.c_attn", "attn_qkv", c -> c.qDim() + 2 * c.kvDim(), ModelConfig::hiddenSize),
                ModuleSpec.conv1d(ModuleRole.O_PROJ, "attn.c_proj", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim),
                ModuleSpec.layerNorm(ModuleRole.MLP_NORM, "ln_2", "ffn_norm", ModelConfig::hiddenSize),
                ModuleSpec.conv1d(ModuleRole.UP_PROJ, "mlp.c_fc", "ffn_up", ModelConfig::intermediateSize, ModelConfig::hiddenSize),
                ModuleSpec.conv1d(ModuleRole.DOWN_PROJ, "mlp.c_proj", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize));
    }

    public static final ModelFamily FAMILY = new ModelFamily("gpt2", "GPT2LMHeadModel", "gpt2",
            Normalization.LAYER_NORM, GatedActivation.GELU_TANH, PositionEncoding.LEARNED,
            List.of(ModuleSpec.embedding("transformer.wte", "token_embd"),
                    ModuleSpec.positionEmbedding("transformer.wpe", "position_embd")),
            layer(),
            List.of(ModuleSpec.layerNorm(ModuleRole.FINAL_NORM, "transformer.ln_f", "output_norm", ModelConfig::hiddenSize),
                    ModuleSpec.linear(ModuleRole.LM_HEAD, "lm_head", "output", ModelConfig::vocabSize, ModelConfig::hiddenSize, c -> false)),
            //                        vocab  inter(4h) kvHeads maxPos bos    eos    headDim tied
            new ModelFamily.HfDefaults(50257, 0, null, 1024, 50256, 50256, null, true),
            new HfConfigKeys(AttentionBias.NONE, /* reads mlp_bias */ false, SlidingWindow.NONE, "activation_function", null, 0, false,
                    new KeyNames(Map.of("hidden_size", "n_embd", "num_hidden_layers", "n_layer", "num_attention_heads", "n_head",
                            "intermediate_size", "n_inner", "max_position_embeddings", "n_positions",
                            "rms_norm_eps", "layer_norm_epsilon"),
                            // scores scaled by 1/√head_dim, not by 1/(layer + 1); a decoder without cross-attention
                            Map.of("scale_attn_weights", true, "scale_attn_by_inverse_layer_idx", false, "add_cross_attention", false),
                            1e-5)),
            ModelFamily.EmbeddingScale.NONE,
            "transformer.h", new ModelFamily.HfNames("transformer.", "(transformer\\.)?h\\.\\d+\\.attn\\.(bias|masked_bias)"));
}
