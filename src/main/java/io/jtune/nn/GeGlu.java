package io.jtune.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gated MLP activation of Gemma, h = gelu_tanh(gate) ⊙ up, with the tanh approximation of GELU
 * that transformers calls "gelu_pytorch_tanh" (and "gelu_new", the same formula):
 * <pre>
 *   gelu_tanh(g) = ½·g·(1 + tanh(u)),   u = √(2/π)·(g + 0.044715·g³)
 *   gelu_tanh'(g) = ½·(1 + tanh(u)) + ½·g·(1 − tanh²(u))·√(2/π)·(1 + 3·0.044715·g²)
 * </pre>
 * tanh is {@link Exp#tanh}, so the result has the same bits whether the method runs interpreted or
 * compiled, and lane for lane in the vector loop.
 */
public final class GeGlu {
    private static final VectorSpecies<Float> S = VectorMath.S;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float CUBIC = 0.044715f;

    private GeGlu() {}

    /** tanh(√(2/π)·(g + 0.044715·g³)), the inner term of the approximation. */
    static float innerTanh(float g) {
        return Exp.tanh((g * g * g * CUBIC + g) * SQRT_2_OVER_PI);   // the vector loop's order of operations
    }

    private static FloatVector innerTanh(FloatVector g) {
        return Exp.tanh(g.mul(g).mul(g).mul(CUBIC).add(g).mul(SQRT_2_OVER_PI));
    }

    /** out = gelu_tanh(gate) ⊙ up over n elements. */
    public static void forward(float[] gate, float[] up, float[] out, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            int i = lo;
            for (int ub = lo + S.loopBound(hi - lo); i < ub; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                FloatVector gelu = g.mul(0.5f).mul(innerTanh(g).add(1f));
                gelu.mul(FloatVector.fromArray(S, up, i)).intoArray(out, i);
            }
            for (; i < hi; i++) out[i] = 0.5f * gate[i] * (1f + innerTanh(gate[i])) * up[i];
        });
    }

    /** dUp += dh·gelu_tanh(g); dGate += dh·up·gelu_tanh'(g). */
    public static void backward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            int i = lo;
            for (int ub = lo + S.loopBound(hi - lo); i < ub; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                FloatVector d = FloatVector.fromArray(S, dh, i);
                FloatVector t = innerTanh(g);
                FloatVector onePlusT = t.add(1f);
                FloatVector gelu = g.mul(0.5f).mul(onePlusT);
                d.fma(gelu, FloatVector.fromArray(S, dUp, i)).intoArray(dUp, i);
                FloatVector du = g.mul(g).mul(3f * CUBIC).add(1f).mul(SQRT_2_OVER_PI);
                FloatVector sech2 = FloatVector.broadcast(S, 1f).sub(t.mul(t));
                FloatVector dgelu = onePlusT.mul(0.5f).add(g.mul(0.5f).mul(sech2).mul(du));
                d.mul(FloatVector.fromArray(S, up, i)).fma(dgelu, FloatVector.fromArray(S, dGate, i)).intoArray(dGate, i);
            }
            for (; i < hi; i++) {
                float g = gate[i], t = innerTanh(g);
                dUp[i] += dh[i] * (0.5f * g * (1f + t));
                float du = (g * g * (3f * CUBIC) + 1f) * SQRT_2_OVER_PI;
                dGate[i] += dh[i] * up[i] * (0.5f * (1f + t) + 0.5f * g * (1f - t * t) * du);
            }
        });
    }
}
