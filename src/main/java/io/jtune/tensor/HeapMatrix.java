package io.jtune.tensor;

/**
 * fp32 on the heap: trainable parameters, gradients and activations, a view of
 * {@code array[offset .. offset + rows*cols)}. GEMMs read its array directly ({@link #array()})
 * instead of copying rows out of it.
 */
final class HeapMatrix extends Matrix {
    private final float[] array;
    private final int offset;

    HeapMatrix(float[] array, int offset, int rows, int cols) {
        super(rows, cols);
        this.array = array;
        this.offset = offset;
    }

    /** The backing array; element (r, c) is at {@code array()[offset() + r*cols + c]}. */
    float[] array() { return array; }

    int offset() { return offset; }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        System.arraycopy(array, offset + r * cols() + c0, dst, dstOff, len);
    }

    @Override
    public float get(int r, int c) {
        return array[offset + r * cols() + c];
    }
}
