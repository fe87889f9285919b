package io.jtune.nn;

/**
 * The activation of a gated MLP, h = act(gate) ⊙ up, with its backward side by side. A model family
 * names one (config.json's hidden_act); a new one is a class implementing this, nothing else.
 * Built-in activations run through {@link Kernels} so that a backend can replace them.
 */
public interface GatedActivation {
    /** SwiGLU: silu(gate) ⊙ up, hidden_act "silu" (Llama, Mistral, Qwen). */
    GatedActivation SILU = new GatedActivation() {
        @Override public String hfName() { return "silu"; }

        @Override public void forward(Kernels k, float[] gate, float[] up, float[] out, int n) {
            k.swigluForward(gate, up, out, n);
        }

        @Override public void backward(Kernels k, float[] dOut, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
            k.swigluBackward(dOut, gate, up, dGate, dUp, n);
        }
    };

    /**
     * GeGLU with the tanh approximation of GELU, gelu_tanh(gate) ⊙ up: "gelu_pytorch_tanh" (Gemma's
     * hidden_activation; transformers' "gelu_new" is the same formula).
     */
    GatedActivation GELU_TANH = new GatedActivation() {
        @Override public String hfName() { return "gelu_pytorch_tanh"; }

        @Override public boolean accepts(String hfActivation) {
            return hfName().equals(hfActivation) || "gelu_new".equals(hfActivation);
        }

        @Override public void forward(Kernels k, float[] gate, float[] up, float[] out, int n) {
            k.gegluForward(gate, up, out, n);
        }

        @Override public void backward(Kernels k, float[] dOut, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
            k.gegluBackward(dOut, gate, up, dGate, dUp, n);
        }
    };

    /** Whether config.json's activation name means this activation (its {@link #hfName()} or a synonym). */
    default boolean accepts(String hfActivation) {
        return hfName().equals(hfActivation);
    }

    /** config.json's hidden_act for this activation. */
    String hfName();

    /** out = act(gate) ⊙ up over n elements (out may alias neither input). */
    void forward(Kernels k, float[] gate, float[] up, float[] out, int n);

    /** Adds the gradients at gate and up, given dOut, the gradient at the output. */
    void backward(Kernels k, float[] dOut, float[] gate, float[] up, float[] dGate, float[] dUp, int n);
}
