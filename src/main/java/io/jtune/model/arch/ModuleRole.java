package io.jtune.model.arch;

/** What a module does in the model: the engine wires a module into the block by its role. */
public enum ModuleRole {
    EMBEDDING,
    /** Learned absolute position embeddings added to the token embeddings (GPT-2's wpe). */
    POSITION_EMBEDDING,
    /** A LayerNorm on the embeddings before the first layer (BLOOM's word_embeddings_layernorm). */
    EMBEDDING_NORM,
    ATTENTION_NORM, Q_PROJ, K_PROJ, V_PROJ, O_PROJ, Q_NORM, K_NORM,
    /** A norm on attention's output before the residual add (Gemma 2's post_attention_layernorm). */
    ATTENTION_OUTPUT_NORM,
    /** q, k and v from one projection, side by side in that order (Phi-3's qkv_proj, GPT-2's c_attn). */
    QKV_PROJ,
    /**
     * q, k and v from one projection grouped by kv head: each group's query heads, then its key head,
     * then its value head (BLOOM's query_key_value: [q k v] per head; Falcon's: per kv group).
     */
    QKV_PROJ_GROUPED,
    MLP_NORM, GATE_PROJ, UP_PROJ, DOWN_PROJ,
    /** The MLP's gate and up halves from one projection, gate first (Phi-3's gate_up_proj). */
    GATE_UP_PROJ,
    /** A norm on the MLP's output before the residual add (Gemma 2's post_feedforward_layernorm). */
    MLP_OUTPUT_NORM,
    /** The sparse MoE block's router: hidden → one logit per expert, no bias (Mixtral's and Qwen-MoE's gate). */
    ROUTER,
    /** One expert's SwiGLU projections (one module per expert: Mixtral's w1, w3, w2; Qwen's gate/up/down_proj). */
    EXPERT_GATE, EXPERT_UP, EXPERT_DOWN,
    /** Qwen2-MoE's always-on shared expert (a SwiGLU MLP) and its sigmoid gate: hidden → 1. */
    SHARED_EXPERT_GATE, SHARED_EXPERT_UP, SHARED_EXPERT_DOWN, SHARED_EXPERT_ROUTER,
    FINAL_NORM, LM_HEAD;

    /** The projections that are linear layers inside a decoder layer (what LoRA adapts). */
    public boolean isLayerLinear() {
        return switch (this) {
            case Q_PROJ, K_PROJ, V_PROJ, QKV_PROJ, QKV_PROJ_GROUPED, O_PROJ, GATE_PROJ, UP_PROJ, GATE_UP_PROJ, DOWN_PROJ,
                 ROUTER, EXPERT_GATE, EXPERT_UP, EXPERT_DOWN,
                 SHARED_EXPERT_GATE, SHARED_EXPERT_UP, SHARED_EXPERT_DOWN, SHARED_EXPERT_ROUTER -> true;
            default -> false;
        };
    }

    /** A module that exists once per expert (its path holds "{e}", the expert's index). */
    public boolean perExpert() {
        return this == EXPERT_GATE || this == EXPERT_UP || this == EXPERT_DOWN;
    }

    /** A module of the sparse MoE block: present on the sparse layers only. */
    public boolean sparseMoe() {
        return switch (this) {
            case ROUTER, EXPERT_GATE, EXPERT_UP, EXPERT_DOWN,
                 SHARED_EXPERT_GATE, SHARED_EXPERT_UP, SHARED_EXPERT_DOWN, SHARED_EXPERT_ROUTER -> true;
            default -> false;
        };
    }

    /** A module of the dense MLP: absent on a MoE model's sparse layers. */
    public boolean denseMlp() {
        return this == GATE_PROJ || this == UP_PROJ || this == DOWN_PROJ || this == GATE_UP_PROJ;
    }
}
