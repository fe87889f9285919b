package io.jtune.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small Vector API building blocks the ops share: dot product, axpy, scaling, sums. */
public final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {}

    /** Σ a[ao+i]·b[bo+i] for i < n. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int ub = S.loopBound(n); i < ub; i += S.length()) {
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo+i] += alpha·x[xo+i]. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** x[xo+i] *= alpha. */
    public static void scale(float[] x, int xo, int n, float alpha) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(x, xo + i);
        }
        for (; i < n; i++) x[xo + i] *= alpha;
    }

    /** y[yo+i] += x[xo+i]. */
    public static void add(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += x[xo + i];
    }

    /** out[i] = a[i] + b[i] over n elements, in parallel chunks. */
    public static void sum(float[] a, float[] b, float[] out, int n) {
        int chunks = Parallel.chunks(n, 1 << 15);
        Parallel.forEach(chunks, c -> {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            int i = lo;
            for (int ub = lo + S.loopBound(hi - lo); i < ub; i += S.length()) {
                FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(out, i);
            }
            for (; i < hi; i++) out[i] = a[i] + b[i];
        });
    }

    /** Σ x[xo+i]² accumulated in double for a stable norm. */
    public static double sumOfSquares(float[] x, int xo, int n) {
        double s = 0;
        int i = 0;
        // Blocks of vector-width partial sums, each folded into the double accumulator.
        for (int ub = S.loopBound(n); i < ub; ) {
            FloatVector acc = FloatVector.zero(S);
            int blockEnd = Math.min(ub, i + 1024);
            for (; i < blockEnd; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                acc = v.fma(v, acc);
            }
            s += acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }

    /** Sets x[xo .. xo+n) to zero. */
    public static void zero(float[] x, int xo, int n) {
        java.util.Arrays.fill(x, xo, xo + n, 0f);
    }
}
