package io.jtune.nn;

/**
 * GELU on its own (an ungated MLP: GPT-2's c_fc → gelu → c_proj, BLOOM's and Falcon's
 * dense_h_to_4h → gelu → dense_4h_to_h), forward and backward side by side, in two forms:
 * <pre>
 *   tanh form (transformers' gelu_new / gelu_pytorch_tanh, BLOOM's bloom_gelu_forward):
 *     gelu(x)  = ½·x·(1 + tanh(u)),   u = √(2/π)·(x + 0.044715·x³)
 *     gelu'(x) = ½·(1 + tanh(u)) + ½·x·(1 − tanh²(u))·√(2/π)·(1 + 3·0.044715·x²)
 *   exact form (torch.nn.GELU(), Falcon's MLP):
 *     gelu(x)  = x·Φ(x) = ½·x·(1 + erf(x/√2)),   gelu'(x) = Φ(x) + x·φ(x),  φ(x) = e^(−x²/2)/√(2π)
 * </pre>
 * The tanh is {@link GeGlu}'s (jtune's own, the same bits interpreted or compiled); erf is
 * {@link #erf}, accurate to about 1e-7 absolute, below fp32's resolution of Φ.
 */
public final class Gelu {
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float CUBIC = 0.044715f;
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private Gelu() {}

    /** out = gelu_tanh(x) over n elements. */
    public static void tanhForward(float[] x, float[] out, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                out[i] = 0.5f * x[i] * (1f + GeGlu.innerTanh(x[i]));
            }
        });
    }

    /** dx += dOut·gelu_tanh'(x). */
    public static void tanhBackward(float[] dOut, float[] x, float[] dx, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                float g = x[i], t = GeGlu.innerTanh(g);
                float du = (g * g * (3f * CUBIC) + 1f) * SQRT_2_OVER_PI;
                dx[i] += dOut[i] * (0.5f * (1f + t) + 0.5f * g * (1f - t * t) * du);
            }
        });
    }

    /** out = x·Φ(x) over n elements. */
    public static void exactForward(float[] x, float[] out, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                out[i] = (float) (0.5 * x[i] * (1 + erf(x[i] * INV_SQRT_2)));
            }
        });
    }

    /** dx += dOut·(Φ(x) + x·φ(x)). */
    public static void exactBackward(float[] dOut, float[] x, float[] dx, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                double v = x[i];
                double cdf = 0.5 * (1 + erf(v * INV_SQRT_2));
                double pdf = StrictMath.exp(-0.5 * v * v) * INV_SQRT_2PI;
                dx[i] += (float) (dOut[i] * (cdf + v * pdf));
            }
        });
    }

    /**
     * erf(z) by its Taylor series near 0 and the continued fraction of erfc beyond (both converge fast
     * where they are used); StrictMath keeps the result identical on every JVM and JIT tier.
     */
    static double erf(double z) {
        double a = Math.abs(z);
        double r;
        if (a < 2.5) {
            // erf(a) = 2/√π · Σ (−1)ⁿ a^(2n+1) / (n!·(2n+1))
            double term = a, sum = a, a2 = a * a;
            for (int n = 1; n < 60; n++) {
                term *= -a2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            r = sum * 2 / Math.sqrt(Math.PI);
        } else if (a < 6) {
            // erfc(a) = e^(−a²)/√π · 1/(a + ½/(a + 1/(a + 3/2/(a + 2/(a + ...))))), evaluated from the tail
            double f = a;
            for (int k = 60; k >= 1; k--) f = a + (k / 2.0) / f;
            r = 1 - StrictMath.exp(-a * a) / Math.sqrt(Math.PI) / f;
        } else {
            r = 1;
        }
        return z < 0 ? -r : r;
    }
}
