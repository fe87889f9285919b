package io.jtune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The path for thin products, where one side has only a handful of rows (LoRA's rank-8 factors,
 * a single token at generation time): C[m x n] (+)= X[m x k] · Y[n x k]ᵀ as dot products along k,
 * 4 x 4 of them at a time. Nothing is packed or transposed, so a thin product costs about what
 * reading its operands costs, where the blocked kernel would waste most of its tile.
 *
 * <p>Each dot product keeps one partial sum per vector lane (lane l sums k = l, l+L, ...); the
 * the last k % L products go into the first lanes, and the lanes are then added left to right: a
 * fixed order, the same in every thread and every run.
 */
final class DotGemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private DotGemm() {}

    /**
     * Source of Y's rows as fp32. {@code rows(j0, count, k, dst)} fills dst[jj*k .. (jj+1)*k) with
     * row j0+jj and returns the array the rows are in and their offset (it may return Y's own array).
     */
    interface Rows {
        float[] rows(int j0, int count, float[] scratch, int[] offset);
    }

    /** C[i][j] at c[cOff + i*n + j]; X row i at x[xOff + i*k]. */
    static void run(float[] x, int xOff, Rows y, int m, int n, int k, float[] c, int cOff, boolean accumulate) {
        if (m == 0 || n == 0) return;
        int threads = Parallel.usableThreads();
        boolean splitRows = m >= n;
        int units = splitRows ? (m + 3) / 4 : (n + 3) / 4;
        int parts = (int) Math.min(threads, Math.max(1, Math.min(units, (long) m * n * k / 65536)));
        Parallel.run(parts, part -> {
            int u0 = (int) ((long) units * part / parts), u1 = (int) ((long) units * (part + 1) / parts);
            if (splitRows) {
                range(x, xOff, y, u0 * 4, Math.min(m, u1 * 4), 0, n, n, k, c, cOff, accumulate);
            } else {
                range(x, xOff, y, 0, m, u0 * 4, Math.min(n, u1 * 4), n, k, c, cOff, accumulate);
            }
        });
    }

    private static void range(float[] x, int xOff, Rows y, int i0, int i1, int j0, int j1, int n, int k,
                              float[] c, int cOff, boolean accumulate) {
        float[] scratch = new float[4 * k];
        int[] offset = new int[1];
        float[] lanes = new float[16 * L];
        for (int j = j0; j < j1; j += 4) {
            int nj = Math.min(4, j1 - j);
            float[] yr = y.rows(j, nj, scratch, offset);
            int yOff = offset[0];
            for (int i = i0; i < i1; i++) {
                int xi = xOff + i * k;
                int ci = cOff + i * n + j;
                if (nj == 4 && i + 4 <= i1) {
                    dot4x4(x, xi, k, yr, yOff, k, c, ci, n, accumulate, lanes);
                    i += 3;
                } else if (nj == 4) {
                    dot1x4(x, xi, yr, yOff, k, c, ci, accumulate, lanes);
                } else {
                    for (int jj = 0; jj < nj; jj++) {
                        float s = dot(x, xi, yr, yOff + jj * k, k, lanes);
                        c[ci + jj] = accumulate ? c[ci + jj] + s : s;
                    }
                }
            }
        }
    }

    private static float dot(float[] x, int xi, float[] y, int yi, int k, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        int p = 0;
        for (; p + L <= k; p += L) {
            acc = FloatVector.fromArray(F, x, xi + p).fma(FloatVector.fromArray(F, y, yi + p), acc);
        }
        acc.intoArray(lanes, 0);
        return finish(lanes, 0, x, xi, y, yi, p, k);
    }

    /**
     * 4 dot products of one X row (a token being generated) with 4 Y rows: four independent
     * accumulator chains, where four calls of {@link #dot} would each wait on one chain's FMA
     * latency. Each chain is the same as dot's, so the sums are bit-identical to it.
     */
    private static void dot1x4(float[] x, int xi, float[] y, int yi, int k, float[] c, int ci, boolean accumulate,
                               float[] lanes) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int p = 0;
        for (; p + L <= k; p += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s0 = xv.fma(FloatVector.fromArray(F, y, yi + p), s0);
            s1 = xv.fma(FloatVector.fromArray(F, y, yi + k + p), s1);
            s2 = xv.fma(FloatVector.fromArray(F, y, yi + 2 * k + p), s2);
            s3 = xv.fma(FloatVector.fromArray(F, y, yi + 3 * k + p), s3);
        }
        s0.intoArray(lanes, 0); s1.intoArray(lanes, L); s2.intoArray(lanes, 2 * L); s3.intoArray(lanes, 3 * L);
        for (int jj = 0; jj < 4; jj++) {
            float s = finish(lanes, jj * L, x, xi, y, yi + jj * k, p, k);
            c[ci + jj] = accumulate ? c[ci + jj] + s : s;
        }
    }

    /**
     * 16 dot products: X rows xi + {0,1,2,3}*ldx against Y rows yi + {0,1,2,3}*ldy. The partial
     * sums leave the registers through {@code lanes} (a vector handed to a method that C2 does not
     * inline would be boxed, a tenfold slowdown).
     */
    private static void dot4x4(float[] x, int xi, int ldx, float[] y, int yi, int ldy, float[] c, int ci, int ldc,
                               boolean accumulate, float[] lanes) {
        int k = ldx;
        FloatVector z = FloatVector.zero(F);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
        FloatVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        int p = 0;
        for (; p + L <= k; p += L) {
            FloatVector y0 = FloatVector.fromArray(F, y, yi + p);
            FloatVector y1 = FloatVector.fromArray(F, y, yi + ldy + p);
            FloatVector y2 = FloatVector.fromArray(F, y, yi + 2 * ldy + p);
            FloatVector y3 = FloatVector.fromArray(F, y, yi + 3 * ldy + p);
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s00 = xv.fma(y0, s00); s01 = xv.fma(y1, s01); s02 = xv.fma(y2, s02); s03 = xv.fma(y3, s03);
            xv = FloatVector.fromArray(F, x, xi + ldx + p);
            s10 = xv.fma(y0, s10); s11 = xv.fma(y1, s11); s12 = xv.fma(y2, s12); s13 = xv.fma(y3, s13);
            xv = FloatVector.fromArray(F, x, xi + 2 * ldx + p);
            s20 = xv.fma(y0, s20); s21 = xv.fma(y1, s21); s22 = xv.fma(y2, s22); s23 = xv.fma(y3, s23);
            xv = FloatVector.fromArray(F, x, xi + 3 * ldx + p);
            s30 = xv.fma(y0, s30); s31 = xv.fma(y1, s31); s32 = xv.fma(y2, s32); s33 = xv.fma(y3, s33);
        }
        s00.intoArray(lanes, 0); s01.intoArray(lanes, L); s02.intoArray(lanes, 2 * L); s03.intoArray(lanes, 3 * L);
        s10.intoArray(lanes, 4 * L); s11.intoArray(lanes, 5 * L); s12.intoArray(lanes, 6 * L); s13.intoArray(lanes, 7 * L);
        s20.intoArray(lanes, 8 * L); s21.intoArray(lanes, 9 * L); s22.intoArray(lanes, 10 * L); s23.intoArray(lanes, 11 * L);
        s30.intoArray(lanes, 12 * L); s31.intoArray(lanes, 13 * L); s32.intoArray(lanes, 14 * L); s33.intoArray(lanes, 15 * L);
        for (int ii = 0; ii < 4; ii++) {
            for (int jj = 0; jj < 4; jj++) {
                float s = finish(lanes, (ii * 4 + jj) * L, x, xi + ii * ldx, y, yi + jj * ldy, p, k);
                int at = ci + ii * ldc + jj;
                c[at] = accumulate ? c[at] + s : s;
            }
        }
    }

    /**
     * Folds the last k % L products into their lanes (lane q gets element p+q, one fma, exactly as a
     * masked vector step would), then adds the lanes left to right: a fixed summation order.
     */
    private static float finish(float[] lanes, int at, float[] x, int xi, float[] y, int yi, int p, int k) {
        for (int q = 0; p + q < k; q++) lanes[at + q] = Math.fma(x[xi + p + q], y[yi + p + q], lanes[at + q]);
        float s = 0;
        for (int l = 0; l < L; l++) s += lanes[at + l];
        return s;
    }
}
