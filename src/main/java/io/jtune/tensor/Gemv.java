package io.jtune.tensor;

import java.util.Arrays;

/**
 * The decode-time product: y[m x n] (+)= x[m x k] · Wᵀ for one or two token rows x and a weight W
 * with many rows (every linear layer and the LM head while generating). It is bound by memory
 * bandwidth, not arithmetic: each weight byte is read once, from memory straight into registers,
 * widened there and multiplied there, so no fp32 copy of a row is written and read back.
 *
 * <p>The widening is the weight format's own, fused into the dot products: a format overrides
 * {@link Matrix#dotRows4} (four rows at a time, its row-block decode inside the loop) and gets
 * this kernel's splitting, tails and lane sums for free. A format without one (or a shape its
 * fused loop does not cover) is widened a chunk at a time through {@link Matrix#readRow} into a
 * buffer that stays in the L1 cache, with the same sums.
 *
 * <p>Determinism: the work is split over the output columns (W's rows), in units of {@link #UNIT}, by problem
 * size, never over k; each dot product keeps one partial sum per vector lane (lane l sums
 * k = l, l+L, ... in increasing order, starting from zero), the last k % L products are folded into
 * the first lanes, and the lanes are added left to right. That is exactly {@link DotGemm}'s order,
 * so the result is bit-identical to the general thin path, whatever the thread count.
 */
final class Gemv {
    /** Token rows this kernel takes: more rows reuse each widened weight, which DotGemm's 4 x 4 tiles do better. */
    static final int MAX_X_ROWS = 2;
    /** Weight rows per unit of work handed to a thread. */
    static final int UNIT = 16;
    /** Columns widened per call on the fallback path: 4 rows of it stay in L1. */
    private static final int CHUNK = 512;

    private static final int L = MatrixLanes.L;

    private Gemv() {}

    /** C[i][j] at c[cOff + i*n + j]; x row i at x[xOff + i*k]. */
    static void run(float[] x, int xOff, Matrix w, int m, float[] c, int cOff, boolean accumulate) {
        inPieces(m, w, (j0, j1) -> rows(x, xOff, w, m, j0, j1, c, cOff, accumulate));
    }

    /** A share of a product's output columns (weight rows [j0, j1)), computed for every token row. */
    @FunctionalInterface
    interface WeightRows {
        void compute(int j0, int j1);
    }

    /**
     * Hands the weight rows of an m-row product to the threads in units of {@link #UNIT} rows: pieces
     * of at least 16K multiply-adds, a few per thread, so a thread slowed by other work on the machine
     * leaves its last pieces to the others (which rows a piece has never changes a sum). Small enough
     * that a decoding step's key and value projections (128 x 896 for Qwen2.5-0.5B: 7 pieces) are
     * shared too; at 64K they ran on one thread while the others waited. Shared with {@link BatchGemv}.
     */
    static void inPieces(int m, Matrix w, WeightRows body) {
        int n = w.rows(), k = w.cols();
        if (m == 0 || n == 0) return;
        int units = (n + UNIT - 1) / UNIT;
        long work = (long) m * n * k;
        int parts = (int) Math.min(4L * Parallel.usableThreads(), Math.max(1, Math.min(units, work / 16384)));
        Parallel.run(parts, part -> {
            int u0 = (int) ((long) units * part / parts), u1 = (int) ((long) units * (part + 1) / parts);
            body.compute(u0 * UNIT, Math.min(n, u1 * UNIT));
        });
    }

    /** Output columns [j0, j1) (weight rows) for every x row. */
    private static void rows(float[] x, int xOff, Matrix w, int m, int j0, int j1, float[] c, int cOff, boolean accumulate) {
        int n = w.rows(), k = w.cols();
        int body = k - k % L;
        float[] lanes = new float[8 * L];
        float[] tail = new float[8 * L];
        float[] chunk = null;
        int j = j0;
        // one token row: eight weight rows at a time where the format can (nothing reuses them from L1)
        for (; m == 1 && j + 8 <= j1 && w.dotRows8(x, xOff, j, lanes); j += 8) {
            for (int jj = 0; jj < 8; jj++) {
                if (body < k) w.readRow(j + jj, body, k - body, tail, jj * L);
                float s = finish(lanes, jj * L, x, xOff + body, tail, jj * L, k - body);
                c[cOff + j + jj] = accumulate ? c[cOff + j + jj] + s : s;
            }
        }
        for (; j < j1; j += 4) {
            int nj = Math.min(4, j1 - j);
            for (int i = 0; i < m; i++) {
                int xi = xOff + i * k;
                // weights read for i > 0 are still in L1: the rows of one group are 4*k elements
                if (nj < 4 || !w.dotRows4(x, xi, j, lanes)) {
                    if (chunk == null) chunk = new float[4 * CHUNK];
                    widenedDots(x, xi, w, j, nj, body, lanes, chunk);
                }
                for (int jj = 0; jj < nj; jj++) {
                    if (body < k) w.readRow(j + jj, body, k - body, tail, jj * L);
                    float s = finish(lanes, jj * L, x, xi + body, tail, jj * L, k - body);
                    int at = cOff + i * n + j + jj;
                    c[at] = accumulate ? c[at] + s : s;
                }
            }
        }
    }

    /**
     * The fallback: lanes of rows j .. j+nj over [0, body), widened CHUNK columns at a time. The
     * chunks are multiples of L, so each lane's chain runs in the same order as in one pass.
     */
    private static void widenedDots(float[] x, int xi, Matrix w, int j, int nj, int body, float[] lanes, float[] chunk) {
        Arrays.fill(lanes, 0f);
        for (int p0 = 0; p0 < body; p0 += CHUNK) {
            int len = Math.min(CHUNK, body - p0);
            for (int jj = 0; jj < nj; jj++) w.readRow(j + jj, p0, len, chunk, jj * CHUNK);
            MatrixLanes.accumulate(x, xi + p0, chunk, CHUNK, nj, len, lanes);
        }
    }

    /**
     * Folds the last k % L products into the first lanes (lane q gets element q of the tail, one
     * fma, as a masked vector step would), then adds the lanes left to right.
     */
    private static float finish(float[] lanes, int at, float[] x, int xi, float[] tail, int ti, int tailLen) {
        for (int q = 0; q < tailLen; q++) lanes[at + q] = Math.fma(x[xi + q], tail[ti + q], lanes[at + q]);
        float s = 0;
        for (int l = 0; l < L; l++) s += lanes[at + l];
        return s;
    }
}
