package io.jtune.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Small Vector API building blocks the ops share: dot product, axpy, scaling, sums. */
public final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Rotations by L/2, L/4, ..., 1 lanes: a fixed addition tree for {@link #sumLanes}. */
    private static final VectorShuffle<Float>[] HALVING = halvingShuffles();

    private VectorMath() {}

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halvingShuffles() {
        int steps = Integer.numberOfTrailingZeros(S.length());
        VectorShuffle<Float>[] out = new VectorShuffle[steps];
        for (int i = 0, shift = S.length() / 2; i < steps; i++, shift /= 2) {
            int sh = shift;
            out[i] = VectorShuffle.fromOp(S, lane -> (lane + sh) % S.length());
        }
        return out;
    }

    /**
     * The sum of a vector's lanes in a fixed order. reduceLanes(ADD) leaves its order unspecified
     * (the JIT's and the interpreter's can differ), which would break bit-reproducibility.
     */
    public static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> rotation : HALVING) v = v.add(v.rearrange(rotation));
        return v.lane(0);
    }

    /** Σ a[ao+i]·b[bo+i] for i < n. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int ub = S.loopBound(n); i < ub; i += S.length()) {
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            }
            s = sumLanes(acc);
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

    /** x[xo+i] /= divisor (a division, not a multiplication by 1/divisor, as PyTorch's tensor / scalar). */
    public static void divide(float[] x, int xo, int n, float divisor) {
        int i = 0;
        FloatVector vd = FloatVector.broadcast(S, divisor);
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).div(vd).intoArray(x, xo + i);
        }
        for (; i < n; i++) x[xo + i] /= divisor;
    }

    /**
     * Softmax backward for one row, in place: g[o+i] = (p[o+i] · (g[o+i] − rowDot)) · scale, where g
     * holds dP on entry and dS on exit. Each element is computed exactly as the scalar expression.
     */
    public static void softmaxGradient(float[] p, float[] g, int o, int n, float rowDot, float scale) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            FloatVector.fromArray(S, p, o + i).mul(FloatVector.fromArray(S, g, o + i).sub(rowDot)).mul(scale)
                    .intoArray(g, o + i);
        }
        for (; i < n; i++) g[o + i] = p[o + i] * (g[o + i] - rowDot) * scale;
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
        int chunks = ParallelTasks.chunks(n, 1 << 15);
        ParallelTasks.forEach(chunks, c -> {
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
            s += sumLanes(acc);
        }
        for (; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }

    /** Sets x[xo .. xo+n) to zero. */
    public static void zero(float[] x, int xo, int n) {
        java.util.Arrays.fill(x, xo, xo + n, 0f);
    }

    /** max over x[xo .. xo+n). */
    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int ub = S.loopBound(n); i < ub; i += S.length()) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** Σ exp(x[xo+i] − shift), lane partial sums folded into a double. */
    public static double expSum(float[] x, int xo, int n, float shift) {
        int i = 0;
        double s = 0;
        for (int ub = S.loopBound(n); i < ub; ) {
            FloatVector acc = FloatVector.zero(S);
            int blockEnd = Math.min(ub, i + 4096);
            for (; i < blockEnd; i += S.length()) {
                acc = acc.add(Exp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift)));
            }
            s += sumLanes(acc);
        }
        for (; i < n; i++) s += Exp.exp(x[xo + i] - shift);
        return s;
    }

    /** x[xo+i] = exp(x[xo+i] − shift)·scale in place (softmax times a gradient scale). */
    public static void expShiftScale(float[] x, int xo, int n, float shift, float scale) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            Exp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift)).mul(scale).intoArray(x, xo + i);
        }
        for (; i < n; i++) x[xo + i] = Exp.exp(x[xo + i] - shift) * scale;
    }


    /** x[xo+i] = exp(x[xo+i] − shift) in place; returns their sum (fixed order). */
    public static double expShiftSum(float[] x, int xo, int n, float shift) {
        int i = 0;
        double s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int ub = S.loopBound(n); i < ub; i += S.length()) {
                FloatVector e = Exp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift));
                e.intoArray(x, xo + i);
                acc = acc.add(e);
            }
            s = sumLanes(acc);
        }
        for (; i < n; i++) {
            x[xo + i] = Exp.exp(x[xo + i] - shift);
            s += x[xo + i];
        }
        return s;
    }
}
