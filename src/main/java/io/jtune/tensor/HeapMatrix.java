package io.jtune.tensor;

import jdk.incubator.vector.FloatVector;

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
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        int k = cols(), body = k - k % MatrixLanes.L, l = MatrixLanes.L;
        int y0 = offset + r * k, y1 = y0 + k, y2 = y1 + k, y3 = y2 + k;
        FloatVector s0 = FloatVector.zero(MatrixLanes.F), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0; p < body; p += l) {
            FloatVector xv = FloatVector.fromArray(MatrixLanes.F, x, xi + p);
            s0 = xv.fma(FloatVector.fromArray(MatrixLanes.F, array, y0 + p), s0);
            s1 = xv.fma(FloatVector.fromArray(MatrixLanes.F, array, y1 + p), s1);
            s2 = xv.fma(FloatVector.fromArray(MatrixLanes.F, array, y2 + p), s2);
            s3 = xv.fma(FloatVector.fromArray(MatrixLanes.F, array, y3 + p), s3);
        }
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
        return true;
    }

    @Override
    public float get(int r, int c) {
        return array[offset + r * cols() + c];
    }
}
