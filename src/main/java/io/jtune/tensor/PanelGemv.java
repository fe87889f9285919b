package io.jtune.tensor;

import static io.jtune.tensor.Bf16Panels.F;
import static io.jtune.tensor.Bf16Panels.I;
import static io.jtune.tensor.Bf16Panels.L;
import static io.jtune.tensor.Bf16Panels.ORDER;
import static io.jtune.tensor.Bf16Panels.high;
import static io.jtune.tensor.Bf16Panels.low;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The decode product over weights in {@link Bf16Panels}: y[m x n] (+)= x[m x k] · Wᵀ for 1 to
 * {@link Gemm#THIN} token rows. Each kernel broadcasts a token's x[p] and multiplies it with a
 * panel's L weights of column p in one FMA (an outer product, like {@link MicroKernel}), so nothing is
 * summed across lanes and each weight vector, widened once, serves every token row of the kernel:
 * eight token rows over two panels (16 accumulators), four over two, or one token row over four
 * panels (four weight streams at once, as memory-bound single-sequence decoding wants).
 *
 * <p>Order and bits: each output is one chain {@code y = fma(x[p], w[p], y)} over p = 0, 1, 2, ...
 * from zero (from C's value when accumulating). Every kernel, every token-row count and every thread
 * count gives that chain, so a sequence gets the same bits decoded alone or in a batch. It is also
 * the blocked GEMM's chain ({@link MicroKernel}), so a token row gets the same bits from this kernel
 * as from a prefill through {@link BlockedGemm} over the same panels.
 */
final class PanelGemv {
    /** Most token rows: more go to the blocked GEMM. */
    static final int MAX_X_ROWS = Gemm.THIN;
    /** Least work worth a piece of its own (multiply-adds), as in {@link Gemv#inPieces}. */
    private static final long MIN_PIECE = 16384;

    private PanelGemv() {}

    /** Per-thread output tile (eight token rows x two panels), and the caller's packed token rows. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[8 * 2 * L]);
    private static final ThreadLocal<float[][]> PACKED = ThreadLocal.withInitial(() -> new float[1][0]);

    /** C[i][j] at c[cOff + i*n + j]; x row i at x[xOff + i*k]. */
    static void run(float[] x, int xOff, Bf16Panels w, int m, float[] c, int cOff, boolean accumulate) {
        int n = w.rows(), k = w.cols();
        if (m == 0 || n == 0) return;
        int[] sizes = groupSizes(m);
        float[] packed = packRows(x, xOff, sizes, m, k);
        int units = w.panels / Bf16Panels.PANEL_GROUP;
        long work = (long) m * n * k;
        // Many small pieces (up to 32 a thread): a thread that finishes early takes more, so the
        // threads end within a piece of each other (`bench decode-step`, two pairs each: 8 rows 68.1
        // and 68.4 ms instead of 69.5 and 69.0 with 4 pieces a thread; 1 row 41.7 and 39.9 instead of 42.8 and 41.9).
        int parts = (int) Math.min(32L * Parallel.usableThreads(), Math.max(1, Math.min(units, work / MIN_PIECE)));
        Parallel.run(parts, part -> {
            int u0 = (int) ((long) units * part / parts), u1 = (int) ((long) units * (part + 1) / parts);
            float[] tile = TILE.get();
            for (int u = u0; u < u1; u++) group(x, xOff, packed, w, sizes, u * Bf16Panels.PANEL_GROUP, c, cOff, accumulate, tile);
        });
    }

    /**
     * Token rows regrouped depth-major for the broadcasting kernels: a group of eight (or four) rows
     * starting at row i0 lies at packed[i0·k + p·size + r]. Rows past the last full four are left
     * to the one-row kernel, which reads x as it is. One vector gather per L / size columns (lane
     * d·size + r takes row r, column p + d): one scalar move per element cost about as much as the
     * products of a k = 4864 weight slab with eight rows.
     */
    private static float[] packRows(float[] x, int xOff, int[] sizes, int m, int k) {
        float[][] held = PACKED.get();
        if (held[0].length < m * k) held[0] = new float[m * k];
        float[] packed = held[0];
        int[] index = new int[L];
        int i0 = 0;
        for (int size : sizes) {
            if (size == 1) break;
            int columns = L / size;   // columns per gathered vector
            for (int lane = 0; lane < L; lane++) index[lane] = (lane % size) * k + lane / size;
            int p = 0, from = xOff + i0 * k, to = i0 * k;
            for (; p + columns <= k; p += columns) FloatVector.fromArray(F, x, from + p, index, 0).intoArray(packed, to + p * size);
            for (; p < k; p++) {
                for (int r = 0; r < size; r++) packed[to + p * size + r] = x[from + r * k + p];
            }
            i0 += size;
        }
        return packed;
    }

    /** How m token rows are taken: groups of eight, then at most one of four, then single rows. */
    private static int[] groupSizes(int m) {
        int eights = m / 8, fours = (m % 8) / 4, ones = m % 4;
        int[] sizes = new int[eights + fours + ones];
        int g = 0;
        for (int i = 0; i < eights; i++) sizes[g++] = 8;
        for (int i = 0; i < fours; i++) sizes[g++] = 4;
        for (int i = 0; i < ones; i++) sizes[g++] = 1;
        return sizes;
    }

    /** Every token row (in groups of the given sizes) against the PANEL_GROUP panels from panel p0. */
    private static void group(float[] x, int xOff, float[] packed, Bf16Panels w, int[] sizes, int p0, float[] c, int cOff,
                              boolean accumulate, float[] tile) {
        int k = w.cols();
        int i0 = 0;
        for (int size : sizes) {
            for (int pp = 0; pp < Bf16Panels.PANEL_GROUP; pp += size == 1 ? Bf16Panels.PANEL_GROUP : 2) {
                int panel = p0 + pp;
                int width = size == 1 ? Bf16Panels.PANEL_GROUP * L : 2 * L;
                startTile(tile, size, width, c, cOff + i0 * w.rows(), w.rows(), panel * L, accumulate);
                switch (size) {
                    case 8 -> eightRows(w.words, w.panelAt(panel), w.panelAt(panel + 1), k, packed, i0 * k, tile);
                    case 4 -> fourRows(w.words, w.panelAt(panel), w.panelAt(panel + 1), k, packed, i0 * k, tile);
                    default -> oneRow(w.words, w.panelAt(panel), w.panelBytes(), k, x, xOff + i0 * k, tile);
                }
                if ((k & 1) == 1) lastColumn(w, panel, width / L, x, xOff, packed, i0, size, tile);
                store(tile, size, width, c, cOff + i0 * w.rows(), w.rows(), panel * L);
            }
            i0 += size;
        }
    }

    /**
     * An odd k's last column, which the kernels (whole pairs only) leave out: the last fma of each
     * chain, on the tile, so the order stays p = 0 .. k-1. The token values come from the same place
     * the kernel read them (packed for groups, x for a single row).
     */
    private static void lastColumn(Bf16Panels w, int panel, int panelCount, float[] x, int xOff, float[] packed, int i0, int size,
                                   float[] tile) {
        int k = w.cols(), width = panelCount * L;
        for (int pp = 0; pp < panelCount; pp++) {
            FloatVector column = low(IntVector.fromMemorySegment(I, w.words, w.wordAt(panel + pp, w.pairs - 1, 0), ORDER));
            for (int r = 0; r < size; r++) {
                float xv = size == 1 ? x[xOff + i0 * k + k - 1] : packed[i0 * k + (k - 1) * size + r];
                int t = r * width + pp * L;
                FloatVector.broadcast(F, xv).fma(column, FloatVector.fromArray(F, tile, t)).intoArray(tile, t);
            }
        }
    }

    /**
     * The tile the kernel starts its chains from: C's rows from column j0 when accumulating (the
     * chains continue from C, as the blocked GEMM's do), else zeros; columns past n are zero.
     */
    private static void startTile(float[] tile, int rows, int width, float[] c, int cOff, int n, int j0, boolean accumulate) {
        java.util.Arrays.fill(tile, 0, rows * width, 0f);
        int cols = Math.min(width, n - j0);
        if (!accumulate || cols <= 0) return;
        for (int r = 0; r < rows; r++) System.arraycopy(c, cOff + r * n + j0, tile, r * width, cols);
    }

    /** Rows [0, rows) of the tile (width columns each) into C's rows from column j0, clipped at n. */
    private static void store(float[] tile, int rows, int width, float[] c, int cOff, int n, int j0) {
        int cols = Math.min(width, n - j0);
        if (cols <= 0) return;
        for (int r = 0; r < rows; r++) System.arraycopy(tile, r * width, c, cOff + r * n + j0, cols);
    }

    /** An accumulator's starting value: the tile holds zeros, or C's values when accumulating. */
    private static FloatVector start(float[] tile, int at) {
        return FloatVector.fromArray(F, tile, at);
    }

    /**
     * Eight token rows (packed[xp + p·8 + r]) against two panels: 16 accumulators, two weight loads
     * and four widenings per two columns. Keep it this shape: with the weights, a broadcast and the
     * accumulators it fills the 32 AVX-512 registers exactly as MicroKernel does.
     */
    private static void eightRows(MemorySegment words, long a, long b, int k, float[] packed, int xp, float[] tile) {
        int w = 2 * L;
        FloatVector c00 = start(tile, 0), c01 = start(tile, L), c10 = start(tile, w), c11 = start(tile, w + L);
        FloatVector c20 = start(tile, 2 * w), c21 = start(tile, 2 * w + L), c30 = start(tile, 3 * w), c31 = start(tile, 3 * w + L);
        FloatVector c40 = start(tile, 4 * w), c41 = start(tile, 4 * w + L), c50 = start(tile, 5 * w), c51 = start(tile, 5 * w + L);
        FloatVector c60 = start(tile, 6 * w), c61 = start(tile, 6 * w + L), c70 = start(tile, 7 * w), c71 = start(tile, 7 * w + L);
        int pairs = k / 2;
        for (int q = 0; q < pairs; q++, a += 4L * L, b += 4L * L, xp += 16) {
            IntVector va = IntVector.fromMemorySegment(I, words, a, ORDER), vb = IntVector.fromMemorySegment(I, words, b, ORDER);
            FloatVector w0 = low(va), w1 = low(vb);
            FloatVector x = FloatVector.broadcast(F, packed[xp]);
            c00 = x.fma(w0, c00); c01 = x.fma(w1, c01);
            x = FloatVector.broadcast(F, packed[xp + 1]);
            c10 = x.fma(w0, c10); c11 = x.fma(w1, c11);
            x = FloatVector.broadcast(F, packed[xp + 2]);
            c20 = x.fma(w0, c20); c21 = x.fma(w1, c21);
            x = FloatVector.broadcast(F, packed[xp + 3]);
            c30 = x.fma(w0, c30); c31 = x.fma(w1, c31);
            x = FloatVector.broadcast(F, packed[xp + 4]);
            c40 = x.fma(w0, c40); c41 = x.fma(w1, c41);
            x = FloatVector.broadcast(F, packed[xp + 5]);
            c50 = x.fma(w0, c50); c51 = x.fma(w1, c51);
            x = FloatVector.broadcast(F, packed[xp + 6]);
            c60 = x.fma(w0, c60); c61 = x.fma(w1, c61);
            x = FloatVector.broadcast(F, packed[xp + 7]);
            c70 = x.fma(w0, c70); c71 = x.fma(w1, c71);
            w0 = high(va);
            w1 = high(vb);
            x = FloatVector.broadcast(F, packed[xp + 8]);
            c00 = x.fma(w0, c00); c01 = x.fma(w1, c01);
            x = FloatVector.broadcast(F, packed[xp + 9]);
            c10 = x.fma(w0, c10); c11 = x.fma(w1, c11);
            x = FloatVector.broadcast(F, packed[xp + 10]);
            c20 = x.fma(w0, c20); c21 = x.fma(w1, c21);
            x = FloatVector.broadcast(F, packed[xp + 11]);
            c30 = x.fma(w0, c30); c31 = x.fma(w1, c31);
            x = FloatVector.broadcast(F, packed[xp + 12]);
            c40 = x.fma(w0, c40); c41 = x.fma(w1, c41);
            x = FloatVector.broadcast(F, packed[xp + 13]);
            c50 = x.fma(w0, c50); c51 = x.fma(w1, c51);
            x = FloatVector.broadcast(F, packed[xp + 14]);
            c60 = x.fma(w0, c60); c61 = x.fma(w1, c61);
            x = FloatVector.broadcast(F, packed[xp + 15]);
            c70 = x.fma(w0, c70); c71 = x.fma(w1, c71);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, w); c11.intoArray(tile, w + L);
        c20.intoArray(tile, 2 * w); c21.intoArray(tile, 2 * w + L);
        c30.intoArray(tile, 3 * w); c31.intoArray(tile, 3 * w + L);
        c40.intoArray(tile, 4 * w); c41.intoArray(tile, 4 * w + L);
        c50.intoArray(tile, 5 * w); c51.intoArray(tile, 5 * w + L);
        c60.intoArray(tile, 6 * w); c61.intoArray(tile, 6 * w + L);
        c70.intoArray(tile, 7 * w); c71.intoArray(tile, 7 * w + L);
    }

    /** Four token rows (packed[xp + p·4 + r]) against two panels: eightRows' chains for half the rows. */
    private static void fourRows(MemorySegment words, long a, long b, int k, float[] packed, int xp, float[] tile) {
        int w = 2 * L;
        FloatVector c00 = start(tile, 0), c01 = start(tile, L), c10 = start(tile, w), c11 = start(tile, w + L);
        FloatVector c20 = start(tile, 2 * w), c21 = start(tile, 2 * w + L), c30 = start(tile, 3 * w), c31 = start(tile, 3 * w + L);
        int pairs = k / 2;
        for (int q = 0; q < pairs; q++, a += 4L * L, b += 4L * L, xp += 8) {
            IntVector va = IntVector.fromMemorySegment(I, words, a, ORDER), vb = IntVector.fromMemorySegment(I, words, b, ORDER);
            FloatVector w0 = low(va), w1 = low(vb);
            FloatVector x = FloatVector.broadcast(F, packed[xp]);
            c00 = x.fma(w0, c00); c01 = x.fma(w1, c01);
            x = FloatVector.broadcast(F, packed[xp + 1]);
            c10 = x.fma(w0, c10); c11 = x.fma(w1, c11);
            x = FloatVector.broadcast(F, packed[xp + 2]);
            c20 = x.fma(w0, c20); c21 = x.fma(w1, c21);
            x = FloatVector.broadcast(F, packed[xp + 3]);
            c30 = x.fma(w0, c30); c31 = x.fma(w1, c31);
            w0 = high(va);
            w1 = high(vb);
            x = FloatVector.broadcast(F, packed[xp + 4]);
            c00 = x.fma(w0, c00); c01 = x.fma(w1, c01);
            x = FloatVector.broadcast(F, packed[xp + 5]);
            c10 = x.fma(w0, c10); c11 = x.fma(w1, c11);
            x = FloatVector.broadcast(F, packed[xp + 6]);
            c20 = x.fma(w0, c20); c21 = x.fma(w1, c21);
            x = FloatVector.broadcast(F, packed[xp + 7]);
            c30 = x.fma(w0, c30); c31 = x.fma(w1, c31);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, w); c11.intoArray(tile, w + L);
        c20.intoArray(tile, 2 * w); c21.intoArray(tile, 2 * w + L);
        c30.intoArray(tile, 3 * w); c31.intoArray(tile, 3 * w + L);
    }

    /**
     * One token row (x[xi + p]) against four consecutive panels from byte a, {@code stride} bytes
     * apart: four chains, four weight streams in flight.
     */
    private static void oneRow(MemorySegment words, long a, long stride, int k, float[] x, int xi, float[] tile) {
        FloatVector c0 = start(tile, 0), c1 = start(tile, L), c2 = start(tile, 2 * L), c3 = start(tile, 3 * L);
        int pairs = k / 2;
        for (int q = 0; q < pairs; q++, a += 4L * L, xi += 2) {
            IntVector v0 = IntVector.fromMemorySegment(I, words, a, ORDER), v1 = IntVector.fromMemorySegment(I, words, a + stride, ORDER);
            IntVector v2 = IntVector.fromMemorySegment(I, words, a + 2 * stride, ORDER);
            IntVector v3 = IntVector.fromMemorySegment(I, words, a + 3 * stride, ORDER);
            FloatVector even = FloatVector.broadcast(F, x[xi]);
            c0 = even.fma(low(v0), c0);
            c1 = even.fma(low(v1), c1);
            c2 = even.fma(low(v2), c2);
            c3 = even.fma(low(v3), c3);
            FloatVector odd = FloatVector.broadcast(F, x[xi + 1]);
            c0 = odd.fma(high(v0), c0);
            c1 = odd.fma(high(v1), c1);
            c2 = odd.fma(high(v2), c2);
            c3 = odd.fma(high(v3), c3);
        }
        c0.intoArray(tile, 0); c1.intoArray(tile, L); c2.intoArray(tile, 2 * L); c3.intoArray(tile, 3 * L);
    }
}
