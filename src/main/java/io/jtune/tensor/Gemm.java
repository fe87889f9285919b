package io.jtune.tensor;

import io.jtune.tensor.BlockedGemm.LeftPanels;
import io.jtune.tensor.BlockedGemm.RightPanels;
import io.jtune.tensor.BlockedGemm.Split;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The three matrix products a linear layer needs, forward and backward. All activations are fp32
 * row-major arrays; B may be any {@link Matrix} (frozen bf16/f16/f32 or Q8_0 weights, or fp32
 * trainable ones) and is read only through {@link Matrix#readRow}, which widens it to fp32 (an fp32
 * heap matrix's array is read in place instead).
 *
 * <p>Contract shared by every implementation: each output element is summed over k in the same
 * order whatever the thread count (work is split over output rows/columns, never over k), so
 * results are bit-identical across runs and thread counts.
 *
 * <p>Large products run on {@link BlockedGemm} (packed panels, a register-blocked Vector API
 * micro-kernel, {@link Parallel} threads); products with a thin side (LoRA factors, one token)
 * run on {@link DotGemm}, the decode-time product of one or two tokens with a whole weight on
 * {@link Gemv}, which reads each weight byte once, and that of a few tokens (batched decoding) with
 * a stored weight on {@link BatchGemv}, which widens each weight block once for all of them; all
 * three sum in the same order, so a token's result does not depend on which of them ran. Which one runs depends on the shapes only, never on the thread count.
 * Frozen weights are widened to fp32 while they are packed.
 */
public final class Gemm {
    /** A side this thin (or thinner) goes to the dot-product path. */
    static final int THIN = 16;

    private Gemm() {}

    /** C[m x n] (+)= A[m x k] · Bᵀ where B is [n x k]: a linear layer's forward, y = x·Wᵀ. */
    public static void matmulTransB(float[] a, int aOff, Matrix b, float[] c, int cOff, int m, boolean accumulate) {
        int n = b.rows(), k = b.cols();
        check("matmulTransB", "A", a, aOff, (long) m * k);
        check("matmulTransB", "C", c, cOff, (long) m * n);
        if (k == 0) {
            clearUnlessAccumulating(c, cOff, (long) m * n, accumulate);
        } else if (b instanceof Bf16Panels panels && m <= PanelGemv.MAX_X_ROWS && n > THIN) {
            // decoding over weights arranged for it: outer products, the blocked GEMM's order
            PanelGemv.run(a, aOff, panels, m, c, cOff, accumulate);
        } else if (m <= Gemv.MAX_X_ROWS && n > THIN) {
            // decoding: one or two tokens against a whole weight, bound by reading it
            Gemv.run(a, aOff, b, m, c, cOff, accumulate);
        } else if (m <= BatchGemv.MAX_X_ROWS && n > THIN && !(b instanceof HeapMatrix)) {
            // batched decoding: a token per sequence against a stored weight, widened once for all of them
            BatchGemv.run(a, aOff, b, m, c, cOff, accumulate);
        } else if (Math.min(m, n) <= THIN) {
            DotGemm.run(a, aOff, matrixRows(b), m, n, k, c, cOff, accumulate);
        } else {
            BlockedGemm.run(interleavedRows(a, aOff, k), interleavedWeightRows(b), m, n, k, c, cOff, n, false, accumulate, Split.COLS);
        }
    }

    /** C[m x k] (+)= A[m x n] · B where B is [n x k]: a linear layer's input gradient, dX = dY·W. */
    public static void matmul(float[] a, int aOff, Matrix b, float[] c, int cOff, int m, boolean accumulate) {
        int n = b.rows(), k = b.cols();
        check("matmul", "A", a, aOff, (long) m * n);
        check("matmul", "C", c, cOff, (long) m * k);
        if (n == 0) {
            clearUnlessAccumulating(c, cOff, (long) m * k, accumulate);
        } else if (k <= THIN && m > THIN) {
            // A narrow output: dot products of A's rows with B's columns (B transposed once, it is small).
            float[] bt = new float[k * n];
            float[] row = new float[k];
            for (int p = 0; p < n; p++) {
                b.readRow(p, 0, k, row, 0);
                for (int j = 0; j < k; j++) bt[j * n + p] = row[j];
            }
            DotGemm.run(a, aOff, heapRows(bt, 0, n), m, k, n, c, cOff, accumulate);
        } else {
            LeftPanels aRows = interleavedRows(a, aOff, n);
            RightPanels weightRows = b instanceof HeapMatrix h ? copiedColumns(h.array(), h.offset(), k) : widenedColumns(b);
            BlockedGemm.run(aRows, weightRows, m, k, n, c, cOff, k, false, accumulate, Split.COLS);
        }
    }

    /** C[n x k] (+)= Aᵀ · X where A is [m x n] and X is [m x k]: a weight gradient, dW += dYᵀ·X. */
    public static void matmulTransA(float[] a, int aOff, float[] x, int xOff, float[] c, int cOff,
                                    int m, int n, int k, boolean accumulate) {
        check("matmulTransA", "A", a, aOff, (long) m * n);
        check("matmulTransA", "X", x, xOff, (long) m * k);
        check("matmulTransA", "C", c, cOff, (long) n * k);
        if (m == 0) {
            clearUnlessAccumulating(c, cOff, (long) n * k, accumulate);
        } else if (k < MicroKernel.NR && n > k) {
            // A narrow output (LoRA's dB): compute Cᵀ = Xᵀ·A so that the wide side fills the vectors.
            BlockedGemm.run(transposedColumns(x, xOff, k), copiedColumns(a, aOff, n), k, n, m,
                    c, cOff, k, true, accumulate, Split.COLS);
        } else {
            BlockedGemm.run(transposedColumns(a, aOff, n), copiedColumns(x, xOff, k), n, k, m,
                    c, cOff, k, false, accumulate, Split.ROWS);
        }
    }

    // ---- packing of fp32 operands: the four ways an operand can lie relative to the depth ----

    /** Left rows whose depth runs along a row of {@code src} (element (r, p) at src[off + r*ld + p]): interleaved. */
    private static LeftPanels interleavedRows(float[] src, int off, int ld) {
        return (r0, rows, p0, kc, dst, o) -> {
            if (rows == MicroKernel.MR && MicroKernel.MR * 2 == MicroKernel.L) {
                Interleave.rowsHalfL(src, off + r0 * ld + p0, ld, kc, dst, o);
                return;
            }
            for (int rr = 0; rr < rows; rr++) {
                int si = off + (r0 + rr) * ld + p0;
                for (int pp = 0; pp < kc; pp++) dst[o + pp * MicroKernel.MR + rr] = src[si + pp];
            }
            for (int rr = rows; rr < MicroKernel.MR; rr++) {
                for (int pp = 0; pp < kc; pp++) dst[o + pp * MicroKernel.MR + rr] = 0f;
            }
        };
    }

    /** Left rows whose depth runs down a column of {@code src} (element (r, p) at src[off + p*ld + r]): run copies. */
    private static LeftPanels transposedColumns(float[] src, int off, int ld) {
        return (r0, rows, p0, kc, dst, o) -> {
            for (int pp = 0; pp < kc; pp++) {
                int si = off + (p0 + pp) * ld + r0, d = o + pp * MicroKernel.MR;
                for (int rr = 0; rr < rows; rr++) dst[d + rr] = src[si + rr];
                for (int rr = rows; rr < MicroKernel.MR; rr++) dst[d + rr] = 0f;
            }
        };
    }

    /** Right columns that run along a row of {@code src} (element (p, s) at src[off + p*ld + s]): row copies. */
    private static RightPanels copiedColumns(float[] src, int off, int ld) {
        return (p0, kc, s0, cols, dst, o) -> {
            if (cols == MicroKernel.NR) {
                // Two vector moves per depth step: System.arraycopy's call costs more than 32 floats.
                for (int pp = 0; pp < kc; pp++) {
                    int si = off + (p0 + pp) * ld + s0, d = o + pp * MicroKernel.NR;
                    FloatVector.fromArray(MicroKernel.F, src, si).intoArray(dst, d);
                    FloatVector.fromArray(MicroKernel.F, src, si + MicroKernel.L).intoArray(dst, d + MicroKernel.L);
                }
                return;
            }
            for (int pp = 0; pp < kc; pp++) {
                int d = o + pp * MicroKernel.NR;
                System.arraycopy(src, off + (p0 + pp) * ld + s0, dst, d, cols);
                Arrays.fill(dst, d + cols, d + MicroKernel.NR, 0f);
            }
        };
    }

    /**
     * Right columns that run along the rows of a stored weight (element (p, s) = w[p][s]), widened
     * to fp32. A block is packed a row at a time: one widening call per row for every panel, where
     * one call per 32 floats spent more on starting the call than on converting.
     */
    private static RightPanels widenedColumns(Matrix w) {
        return new RightPanels() {
            @Override
            public void pack(int p0, int kc, int s0, int cols, float[] dst, int off) {
                for (int pp = 0; pp < kc; pp++) {
                    int o = off + pp * MicroKernel.NR;
                    w.readRow(p0 + pp, s0, cols, dst, o);
                    if (cols < MicroKernel.NR) Arrays.fill(dst, o + cols, o + MicroKernel.NR, 0f);
                }
            }

            @Override
            public void packBlock(int p0, int kc, int s0, int cols, float[] dst) {
                int full = cols / MicroKernel.NR * MicroKernel.NR;
                float[] row = rowsScratch(full);
                int nr = MicroKernel.NR, l = MicroKernel.L;
                for (int pp = 0; pp < kc; pp++) {
                    w.readRow(p0 + pp, s0, full, row, 0);
                    for (int j = 0; j < full; j += nr) {
                        int d = j * kc + pp * nr;
                        FloatVector.fromArray(MicroKernel.F, row, j).intoArray(dst, d);
                        FloatVector.fromArray(MicroKernel.F, row, j + l).intoArray(dst, d + l);
                    }
                }
                if (full < cols) pack(p0, kc, s0 + full, cols - full, dst, full * kc);
            }
        };
    }

    /** Right columns that are the rows of weight matrix {@code w} (element (p, s) = w[s][p]): widened, interleaved. */
    private static RightPanels interleavedWeightRows(Matrix w) {
        HeapMatrix heap = w instanceof HeapMatrix h ? h : null;
        Bf16Panels panels = w instanceof Bf16Panels p ? p : null;   // two panels are one right micro-panel (NR = 2L)
        return (p0, kc, s0, cols, dst, o) -> {
            if (cols == MicroKernel.NR) {
                if (panels != null && panels.packTwoPanels(p0, kc, s0, dst, o)) return;
                if (heap != null) {
                    Interleave.rows2L(heap.array(), heap.offset() + s0 * w.cols() + p0, w.cols(), kc, dst, o);
                } else {
                    float[] rows = rowsScratch(cols * kc);
                    for (int ss = 0; ss < cols; ss++) w.readRow(s0 + ss, p0, kc, rows, ss * kc);
                    Interleave.rows2L(rows, 0, kc, kc, dst, o);
                }
                return;
            }
            float[] row = rowsScratch(kc);
            for (int ss = 0; ss < cols; ss++) {
                w.readRow(s0 + ss, p0, kc, row, 0);
                for (int pp = 0; pp < kc; pp++) dst[o + pp * MicroKernel.NR + ss] = row[pp];
            }
            for (int ss = cols; ss < MicroKernel.NR; ss++) {
                for (int pp = 0; pp < kc; pp++) dst[o + pp * MicroKernel.NR + ss] = 0f;
            }
        };
    }

    /** A right micro-panel's weight rows widened to fp32 (NR x depth), per thread. */
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[1][0]);

    private static float[] rowsScratch(int size) {
        float[][] holder = ROWS.get();
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }

    // ---- rows for the dot-product path ----

    private static DotGemm.Rows heapRows(float[] src, int off, int ld) {
        return (j0, count, scratch, offset) -> {
            offset[0] = off + j0 * ld;
            return src;
        };
    }

    private static DotGemm.Rows matrixRows(Matrix b) {
        if (b instanceof HeapMatrix h) return heapRows(h.array(), h.offset(), b.cols());
        int k = b.cols();
        return (j0, count, scratch, offset) -> {
            for (int jj = 0; jj < count; jj++) b.readRow(j0 + jj, 0, k, scratch, jj * k);
            offset[0] = 0;
            return scratch;
        };
    }

    private static void clearUnlessAccumulating(float[] c, int cOff, long size, boolean accumulate) {
        if (!accumulate) Arrays.fill(c, cOff, (int) (cOff + size), 0f);
    }

    private static void check(String product, String operand, float[] array, int offset, long size) {
        if (offset < 0 || size < 0 || offset + size > array.length) {
            throw new IllegalArgumentException(product + ": " + operand + " needs " + size + " floats from offset "
                    + offset + " but its array holds " + array.length);
        }
    }
}
