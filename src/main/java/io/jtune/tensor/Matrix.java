package io.jtune.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A 2-D row-major matrix [rows x cols] that a GEMM can read, in one of a few storage types:
 * fp32 on the heap (trainable parameters, gradients, activations), a dense segment in the
 * checkpoint's dtype (frozen weights, usually memory-mapped straight from safetensors: F32, BF16 or
 * F16), GGUF's block-quantized Q8_0 and Q4_0/Q4_1/Q4_K/Q5_K/Q6_K, or bitsandbytes' quantized weights (QLoRA's 4-bit NF4/FP4 and
 * 8-bit per-row weights).
 *
 * <p>Each type knows one thing the kernels need of it: how to widen a run of a row to fp32
 * ({@link #readRow}). {@link Gemm} reads B only through that, so a new storage type is a new
 * subclass in this package, named in the permits clause, and nothing else.
 */
public abstract sealed class Matrix permits HeapMatrix, SegmentMatrix, Q8_0Matrix, Bnb4BitMatrix, Int8RowMatrix,
        GgmlBlockMatrix, Bf16Panels {
    private final int rows;
    private final int cols;

    Matrix(int rows, int cols) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("negative shape " + rows + " x " + cols);
        this.rows = rows;
        this.cols = cols;
    }

    /** An fp32 view of {@code data[offset .. offset + rows*cols)}. */
    public static Matrix of(float[] data, int offset, int rows, int cols) {
        Objects.checkFromIndexSize(offset, (long) rows * cols, data.length);
        return new HeapMatrix(data, offset, rows, cols);
    }

    public static Matrix of(float[] data, int rows, int cols) {
        return of(data, 0, rows, cols);
    }

    /** A view of a segment holding rows*cols little-endian elements of {@code dtype} (F32, BF16 or F16). */
    public static Matrix of(MemorySegment segment, DType dtype, int rows, int cols) {
        return SegmentMatrix.view(segment, dtype, rows, cols);
    }

    public final int rows() { return rows; }
    public final int cols() { return cols; }

    /**
     * Copies {@code len} elements of row r starting at column c0 into dst[dstOff ..], widened to
     * fp32. The GEMM's packing calls it once per row run, so it is where each type spends its care.
     */
    public abstract void readRow(int r, int c0, int len, float[] dst, int dstOff);

    /**
     * The decode GEMV's fused loop ({@link Gemv}): for rows r .. r+3 and x[xi .. xi+k), fills
     * lanes[jj*L + l] (L the preferred float vector's lanes) with the fma chain of x[p]·w[r+jj][p]
     * over p = l, l+L, ... below k - k % L, widening each weight vector in registers as it is read.
     * A format adds only this loop around its row-block decode; it returns false where it has none
     * (or not for this shape), and the GEMV then widens the rows through {@link #readRow}.
     */
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        return false;
    }

    /**
     * {@link #dotRows4} for rows r .. r+7 in one loop (lanes[jj*L ..] for jj < 8, the same chains):
     * the GEMV takes it for a single token row, where more weight streams at once keep more memory
     * reads in flight. False where the format has none; the GEMV then takes two dotRows4.
     */
    boolean dotRows8(float[] x, int xi, int r, float[] lanes) {
        return false;
    }

    /** Element (r, c) widened to fp32. Slow path: kernels read rows in bulk with {@link #readRow}. */
    public float get(int r, int c) {
        float[] one = new float[1];
        readRow(r, c, 1, one, 0);
        return one[0];
    }
}
