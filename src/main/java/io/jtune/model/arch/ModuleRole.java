package io.jtune.model.arch;

/** What a module does in the model: the engine wires a module into the block by its role. */
public enum ModuleRole {
    EMBEDDING,
    ATTENTION_NORM, Q_PROJ, K_PROJ, V_PROJ, O_PROJ, Q_NORM, K_NORM,
    /** A norm on attention's output before the residual add (Gemma 2's post_attention_layernorm). */
    ATTENTION_OUTPUT_NORM,
    MLP_NORM, GATE_PROJ, UP_PROJ, DOWN_PROJ,
    /** A norm on the MLP's output before the residual add (Gemma 2's post_feedforward_layernorm). */
    MLP_OUTPUT_NORM,
    FINAL_NORM, LM_HEAD;

    /** The projections that are linear layers inside a decoder layer (what LoRA adapts). */
    public boolean isLayerLinear() {
        return switch (this) {
            case Q_PROJ, K_PROJ, V_PROJ, O_PROJ, GATE_PROJ, UP_PROJ, DOWN_PROJ -> true;
            default -> false;
        };
    }
}
