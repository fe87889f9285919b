package io.jtune.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The gated MLP activation h = silu(gate) ⊙ up, with silu(g) = g·σ(g). */
public final class SwiGlu {
    private static final VectorSpecies<Float> S = VectorMath.S;

    private SwiGlu() {}

    public static void forward(float[] gate, float[] up, float[] out, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            int i = lo;
            for (int ub = lo + S.loopBound(hi - lo); i < ub; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                FloatVector sig = Exp.exp(g.neg()).add(1f);
                g.div(sig).mul(FloatVector.fromArray(S, up, i)).intoArray(out, i);
            }
            for (; i < hi; i++) out[i] = gate[i] / (1f + Exp.exp(-gate[i])) * up[i];
        });
    }

    /** dUp += dh·silu(g); dGate += dh·up·σ(g)·(1 + g·(1 − σ(g))). */
    public static void backward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            int i = lo;
            for (int ub = lo + S.loopBound(hi - lo); i < ub; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                FloatVector d = FloatVector.fromArray(S, dh, i);
                FloatVector sig = FloatVector.broadcast(S, 1f).div(Exp.exp(g.neg()).add(1f));
                FloatVector silu = g.mul(sig);
                d.fma(silu, FloatVector.fromArray(S, dUp, i)).intoArray(dUp, i);
                FloatVector dsilu = sig.mul(g.mul(sig.neg().add(1f)).add(1f));
                d.mul(FloatVector.fromArray(S, up, i)).fma(dsilu, FloatVector.fromArray(S, dGate, i)).intoArray(dGate, i);
            }
            for (; i < hi; i++) {
                float g = gate[i];
                float sig = 1f / (1f + Exp.exp(-g));
                dUp[i] += dh[i] * (g * sig);
                dGate[i] += dh[i] * up[i] * (sig * (1f + g * (1f - sig)));
            }
        });
    }
}
