package io.jtune.model.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The decoder layers of the sparse Mixture-of-Experts families: Llama's attention, then in place of
 * the dense MLP a router ("gate", hidden → num_experts, no bias) and num_experts SwiGLU experts, of
 * which each token runs through its top_k. "{e}" in an expert's path stands for its index; the
 * model expands it. Registration order is transformers': attention, the MoE block (router, experts
 * one by one, then Qwen2-MoE's shared expert and its gate), then the two norms. GGUF base names are
 * llama.cpp's (ffn_gate_inp, ffn_{gate,up,down}_exps, ..._shexp).
 */
public final class MoeLayout {
    private MoeLayout() {}

    /** Mixtral: block_sparse_moe.gate and experts.{e}.w1 (gate), w2 (down), w3 (up); no biases. */
    public static List<ModuleSpec> mixtralLayer() {
        Predicate<ModelConfig> noBias = c -> false;
        List<ModuleSpec> out = new ArrayList<>(attention(false, noBias));
        out.add(ModuleSpec.linear(ModuleRole.ROUTER, "block_sparse_moe.gate", "ffn_gate_inp", c -> c.moe().numExperts(),
                ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.EXPERT_GATE, "block_sparse_moe.experts.{e}.w1", "ffn_gate_exps",
                MoeLayout::expertWidth, ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.EXPERT_DOWN, "block_sparse_moe.experts.{e}.w2", "ffn_down_exps",
                ModelConfig::hiddenSize, MoeLayout::expertWidth, noBias));
        out.add(ModuleSpec.linear(ModuleRole.EXPERT_UP, "block_sparse_moe.experts.{e}.w3", "ffn_up_exps",
                MoeLayout::expertWidth, ModelConfig::hiddenSize, noBias));
        out.addAll(norms());
        return out;
    }

    /**
     * Qwen2-MoE (qkNorm false: q/k/v biased by the config reader's rule, a shared expert) and
     * Qwen3-MoE (qkNorm true: per-head q/k norms, no shared expert): mlp.gate and
     * mlp.experts.{e}.{gate,up,down}_proj on the sparse layers, a dense mlp.{gate,up,down}_proj of
     * intermediate_size on the others (mlp_only_layers, decoder_sparse_step).
     */
    public static List<ModuleSpec> qwenMoeLayer(boolean qkNorm, boolean sharedExpert) {
        Predicate<ModelConfig> noBias = c -> false;
        List<ModuleSpec> out = new ArrayList<>(attention(qkNorm, ModelConfig::attentionBias));
        out.add(ModuleSpec.linear(ModuleRole.GATE_PROJ, "mlp.gate_proj", "ffn_gate", ModelConfig::intermediateSize,
                ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.UP_PROJ, "mlp.up_proj", "ffn_up", ModelConfig::intermediateSize,
                ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.down_proj", "ffn_down", ModelConfig::hiddenSize,
                ModelConfig::intermediateSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.ROUTER, "mlp.gate", "ffn_gate_inp", c -> c.moe().numExperts(),
                ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.EXPERT_GATE, "mlp.experts.{e}.gate_proj", "ffn_gate_exps",
                MoeLayout::expertWidth, ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.EXPERT_UP, "mlp.experts.{e}.up_proj", "ffn_up_exps",
                MoeLayout::expertWidth, ModelConfig::hiddenSize, noBias));
        out.add(ModuleSpec.linear(ModuleRole.EXPERT_DOWN, "mlp.experts.{e}.down_proj", "ffn_down_exps",
                ModelConfig::hiddenSize, MoeLayout::expertWidth, noBias));
        if (sharedExpert) {
            Predicate<ModelConfig> has = c -> c.moe().hasSharedExpert();
            out.add(ModuleSpec.linear(ModuleRole.SHARED_EXPERT_GATE, "mlp.shared_expert.gate_proj", "ffn_gate_shexp",
                    MoeLayout::sharedWidth, ModelConfig::hiddenSize, noBias).onlyIf(has));
            out.add(ModuleSpec.linear(ModuleRole.SHARED_EXPERT_UP, "mlp.shared_expert.up_proj", "ffn_up_shexp",
                    MoeLayout::sharedWidth, ModelConfig::hiddenSize, noBias).onlyIf(has));
            out.add(ModuleSpec.linear(ModuleRole.SHARED_EXPERT_DOWN, "mlp.shared_expert.down_proj", "ffn_down_shexp",
                    ModelConfig::hiddenSize, MoeLayout::sharedWidth, noBias).onlyIf(has));
            out.add(ModuleSpec.linear(ModuleRole.SHARED_EXPERT_ROUTER, "mlp.shared_expert_gate", "ffn_gate_inp_shexp",
                    c -> 1, ModelConfig::hiddenSize, noBias).onlyIf(has));
        }
        out.addAll(norms());
        return out;
    }

    private static int expertWidth(ModelConfig c) {
        return c.moe().expertIntermediateSize();
    }

    private static int sharedWidth(ModelConfig c) {
        return c.moe().sharedExpertIntermediateSize();
    }

    private static List<ModuleSpec> attention(boolean qkNorm, Predicate<ModelConfig> qkvBias) {
        Predicate<ModelConfig> oBias = ModelConfig::outputProjectionBias;
        return List.of(
                ModuleSpec.linear(ModuleRole.Q_PROJ, "self_attn.q_proj", "attn_q", ModelConfig::qDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.K_PROJ, "self_attn.k_proj", "attn_k", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.V_PROJ, "self_attn.v_proj", "attn_v", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attn.o_proj", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim, oBias),
                ModuleSpec.norm(ModuleRole.Q_NORM, "self_attn.q_norm", "attn_q_norm", ModelConfig::headDim).onlyIf(c -> qkNorm),
                ModuleSpec.norm(ModuleRole.K_NORM, "self_attn.k_norm", "attn_k_norm", ModelConfig::headDim).onlyIf(c -> qkNorm));
    }

    private static List<ModuleSpec> norms() {
        return List.of(
                ModuleSpec.norm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize));
    }
}
