package io.jtune.nn;

import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;

/**
 * y = x·Wᵀ + b with W [out x in] in any dtype {@link Matrix} holds (frozen bf16 weights are widened
 * inside the GEMM). Backward computes only what is asked for: a frozen weight passes null for dW,
 * and the first layer of the trainable region may pass null for dx.
 */
public final class Linear {
    private Linear() {}

    /** y [n x out] = x [n x in]·Wᵀ (+ bias). */
    public static void forward(float[] x, Matrix w, float[] bias, int biasOff, float[] y, int n) {
        Gemm.matmulTransB(x, 0, w, y, 0, n, false);
        if (bias != null) {
            int out = w.rows();
            for (int t = 0; t < n; t++) VectorMath.add(bias, biasOff, y, t * out, out);
        }
    }

    /** dx += dy·W; dW += dyᵀ·x; db += Σ_rows dy (each only when its array is non-null). */
    public static void backward(float[] dy, float[] x, Matrix w, float[] dx,
                                float[] dw, int dwOff, float[] db, int dbOff, int n) {
        int out = w.rows(), in = w.cols();
        if (dx != null) Gemm.matmul(dy, 0, w, dx, 0, n, true);
        if (dw != null) Gemm.matmulTransA(dy, 0, x, 0, dw, dwOff, n, out, in, true);
        if (db != null) {
            for (int t = 0; t < n; t++) VectorMath.add(dy, t * out, db, dbOff, out);
        }
    }
}
