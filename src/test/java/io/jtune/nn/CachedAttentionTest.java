package io.jtune.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decode-time attention against the per-key formulation it replaced (one VectorMath.dot per key,
 * the same vector Exp softmax, then one axpy of each value row into the output, key by key): the
 * same bits, so the register-held sums and the sixteen-key scores change nothing, and a float64
 * reference within rounding. Head sizes cover whole groups of four vectors, a single vector after
 * them and elements past the last vector; 39-41 keys cover groups of sixteen and a rest.
 */
class CachedAttentionTest {
    @Test
    void weightedValuesEqualOneAxpyPerKeyBitForBit() {
        int l = VectorMath.S.length();
        for (int headDim : new int[] {4 * l, 5 * l, 4 * l + 6, 6, 8 * l}) {
            for (int window : new int[] {0, 5, 20}) {
                check(headDim, window, 0f, 6, 2);
            }
            check(headDim, 0, 2f, 6, 2);
            // runs of heads: GQA groups of seven and of eleven (split in runs of at most eight), pairs
            // of heads with their own cached heads (no GQA), and an odd head count (the last head alone)
            check(headDim, 0, 0f, 14, 2);
            check(headDim, 0, 0f, 22, 2);
            check(headDim, 5, 0f, 4, 4);
            check(headDim, 0, 0f, 3, 3);
        }
    }

    private static void check(int headDim, int window, float softcap, int heads, int kvHeads) {
        int n = 3, past = 38, len = past + n;   // 39-41 keys: two groups of 16 and a rest
        float scale = (float) (1 / Math.sqrt(headDim));
        SplittableRandom r = new SplittableRandom(headDim * 31L + window);
        float[] q = random(n * heads * headDim, r), k = random(len * kvHeads * headDim, r), v = random(len * kvHeads * headDim, r);
        float[] out = new float[n * heads * headDim];
        CachedAttention.forward(q, k, v, out, n, past, heads, kvHeads, headDim, window, scale, softcap);
        float[] expected = new float[out.length];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < heads; h++) perKey(q, k, v, expected, i, h, past + i, heads, kvHeads, headDim, window, scale, softcap);
        }
        String what = "headDim " + headDim + " window " + window + " softcap " + softcap + " heads " + heads + "/" + kvHeads;
        assertArrayEquals(expected, out, what);
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < heads; h++) {
                double[] ref = float64(q, k, v, i, h, past + i, heads, kvHeads, headDim, window, scale, softcap);
                for (int c = 0; c < headDim; c++) assertEquals(ref[c], out[(i * heads + h) * headDim + c], 1e-5, what);
            }
        }
    }

    /** The formulation before the running sums moved to registers: one VectorMath.axpy per key. */
    private static void perKey(float[] q, float[] k, float[] v, float[] out, int i, int h, int pos, int heads, int kvHeads,
                               int headDim, int window, float scale, float softcap) {
        int kvh = h / (heads / kvHeads), kvWidth = kvHeads * headDim, qo = (i * heads + h) * headDim;
        int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        float[] scores = new float[pos - first + 1];
        float max = Float.NEGATIVE_INFINITY;
        for (int j = first; j <= pos; j++) {
            float s = VectorMath.dot(q, qo, k, j * kvWidth + kvh * headDim, headDim) * scale;
            if (softcap > 0) s = SoftCap.apply(s, softcap);
            scores[j - first] = s;
            max = Math.max(max, s);
        }
        float inv = 1f / (float) VectorMath.expShiftSum(scores, 0, scores.length, max);
        for (int j = first; j <= pos; j++) VectorMath.axpy(scores[j - first] * inv, v, j * kvWidth + kvh * headDim, out, qo, headDim);
    }

    private static double[] float64(float[] q, float[] k, float[] v, int i, int h, int pos, int heads, int kvHeads, int headDim,
                                    int window, float scale, float softcap) {
        int kvh = h / (heads / kvHeads), kvWidth = kvHeads * headDim, qo = (i * heads + h) * headDim;
        int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        double[] p = new double[pos - first + 1];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = first; j <= pos; j++) {
            double s = 0;
            for (int c = 0; c < headDim; c++) s += (double) q[qo + c] * k[j * kvWidth + kvh * headDim + c];
            s *= scale;
            if (softcap > 0) s = softcap * Math.tanh(s / softcap);
            p[j - first] = s;
            max = Math.max(max, s);
        }
        for (int j = 0; j < p.length; j++) sum += p[j] = Math.exp(p[j] - max);
        double[] o = new double[headDim];
        for (int j = first; j <= pos; j++) {
            for (int c = 0; c < headDim; c++) o[c] += p[j - first] / sum * v[j * kvWidth + kvh * headDim + c];
        }
        return o;
    }

    private static float[] random(int n, SplittableRandom r) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
