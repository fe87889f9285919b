package io.jtune.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A 2-D row-major matrix [rows x cols] that a GEMM can read: either fp32 on the heap (trainable
 * parameters, gradients, activations) or a segment in the checkpoint's dtype (frozen weights,
 * usually memory-mapped straight from safetensors: F32, BF16 or F16, little-endian).
 */
public final class Matrix {
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final float[] heap;      // when dtype == F32 and on the heap
    private final int heapOffset;
    private final MemorySegment segment; // otherwise
    private final int rows;
    private final int cols;

    private Matrix(DType dtype, float[] heap, int heapOffset, MemorySegment segment, int rows, int cols) {
        this.dtype = dtype;
        this.heap = heap;
        this.heapOffset = heapOffset;
        this.segment = segment;
        this.rows = rows;
        this.cols = cols;
    }

    /** An fp32 view of {@code data[offset .. offset + rows*cols)}. */
    public static Matrix of(float[] data, int offset, int rows, int cols) {
        Objects.checkFromIndexSize(offset, (long) rows * cols, data.length);
        return new Matrix(DType.F32, data, offset, null, rows, cols);
    }

    public static Matrix of(float[] data, int rows, int cols) {
        return of(data, 0, rows, cols);
    }

    /** A view of a segment holding rows*cols elements of {@code dtype} (F32, BF16 or F16). */
    public static Matrix of(MemorySegment segment, DType dtype, int rows, int cols) {
        if (!dtype.isComputable()) throw new IllegalArgumentException("not a float dtype: " + dtype);
        long bytes = (long) rows * cols * dtype.byteSize();
        if (segment.byteSize() != bytes) {
            throw new IllegalArgumentException("segment has " + segment.byteSize() + " bytes, expected " + bytes);
        }
        return new Matrix(dtype, null, 0, segment, rows, cols);
    }

    public DType dtype() { return dtype; }
    public int rows() { return rows; }
    public int cols() { return cols; }
    public boolean isHeap() { return heap != null; }
    /** The backing array of a heap matrix (see {@link #heapOffset()}); null for a segment. */
    public float[] heapArray() { return heap; }
    public int heapOffset() { return heapOffset; }
    /** The backing segment of a non-heap matrix; null for a heap one. */
    public MemorySegment segment() { return segment; }

    /** Element (r, c) widened to fp32. Slow path: kernels read rows in bulk with {@link #readRow}. */
    public float get(int r, int c) {
        long i = (long) r * cols + c;
        if (heap != null) return heap[heapOffset + (int) i];
        return switch (dtype) {
            case F32 -> segment.get(FLOAT_LE, i * 4);
            case BF16 -> Numbers.bf16ToFloat(segment.get(SHORT_LE, i * 2));
            case F16 -> Numbers.f16ToFloat(segment.get(SHORT_LE, i * 2));
            default -> throw new IllegalStateException();
        };
    }

    /** Copies {@code len} elements of row r starting at column c0 into dst, widened to fp32. */
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        long base = (long) r * cols + c0;
        if (heap != null) {
            System.arraycopy(heap, heapOffset + (int) base, dst, dstOff, len);
            return;
        }
        switch (dtype) {
            case F32 -> MemorySegment.copy(segment, FLOAT_LE, base * 4, dst, dstOff, len);
            case BF16 -> {
                for (int j = 0; j < len; j++) dst[dstOff + j] = Numbers.bf16ToFloat(segment.get(SHORT_LE, (base + j) * 2));
            }
            case F16 -> {
                for (int j = 0; j < len; j++) dst[dstOff + j] = Numbers.f16ToFloat(segment.get(SHORT_LE, (base + j) * 2));
            }
            default -> throw new IllegalStateException();
        }
    }
}
