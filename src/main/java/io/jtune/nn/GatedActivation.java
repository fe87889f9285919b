package io.jtune.nn;

/**
 * The activation of a gated MLP, h = act(gate) ⊙ up, with its backward side by side; a family whose
 * MLP is ungated (no gate projection: GPT-2, BLOOM, Falcon) applies its plain form, act(x). A model family
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

        @Override public void forwardPlain(float[] x, float[] out, int n) { Gelu.tanhForward(x, out, n); }

        @Override public void backwardPlain(float[] dOut, float[] x, float[] dx, int n) { Gelu.tanhBackward(dOut, x, dx, n); }
    };

    /** Exact GELU, x·Φ(x), as an ungated MLP's activation (torch.nn.GELU(): Falcon's MLP). */
    GatedActivation GELU_EXACT = new GatedActivation() {
        @Override public String hfName() { return "gelu"; }

        @Override public void forward(Kernels k, float[] gate, float[] up, float[] out, int n) {
            throw new UnsupportedOperationException("exact GELU is used ungated only");
        }

        @Override public void backward(Kernels k, float[] dOut, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
            throw new UnsupportedOperationException("exact GELU is used ungated only");
        }

        @Override public void forwardPlain(float[] x, float[] out, int n) { Gelu.exactForward(x, out, n); }

        @Override public void backwardPlain(float[] dOut, float[] x, float[] dx, int n) { Gelu.exactBackward(dOut, x, dx, n); }
    };

    /**
     * The same activation in an ungated MLP (GPT-2's c_fc → act → c_proj): out = act(x). The tanh
     * GELU has one ({@link Gelu}); SwiGLU does not, as no ungated family uses silu.
     */
    default void forwardPlain(float[] x, float[] out, int n) {
        throw new UnsupportedOperationException(hfName() + " has no ungated form");
    }

    /** dx += dOut·act'(x), the backward of {@link #forwardPlain}. */
    default void backwardPlain(float[] dOut, float[] x, float[] dx, int n) {
        throw new UnsupportedOperationException(hfName() + " has no ungated form");
    }

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
