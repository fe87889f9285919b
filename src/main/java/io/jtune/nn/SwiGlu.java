package io.jtune.nn;

/** The gated MLP activation h = silu(gate) ⊙ up, with silu(g) = g·σ(g). */
public final class SwiGlu {
    private SwiGlu() {}

    public static void forward(float[] gate, float[] up, float[] out, int n) {
        int chunks = Parallel.chunks(n, 1 << 14);
        Parallel.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                float g = gate[i];
                out[i] = g / (1f + (float) Math.exp(-g)) * up[i];
            }
        });
    }

    /** dUp += dh·silu(g); dGate += dh·up·σ(g)·(1 + g·(1 − σ(g))). */
    public static void backward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        int chunks = Parallel.chunks(n, 1 << 14);
        Parallel.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                float g = gate[i];
                float sig = 1f / (1f + (float) Math.exp(-g));
                float silu = g * sig;
                dUp[i] += dh[i] * silu;
                dGate[i] += dh[i] * up[i] * sig * (1f + g * (1f - sig));
            }
        });
    }
}
