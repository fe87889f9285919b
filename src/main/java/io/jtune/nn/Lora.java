package io.jtune.nn;

import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;

/**
 * The LoRA update added to a frozen linear layer: y += scale · (x·Aᵀ)·Bᵀ with A [r x in], B [out x r].
 * Forward keeps u = scale·x·Aᵀ [n x r] (tiny), which is all backward needs besides x.
 * PEFT applies the scale after B; folding it into u is the same product, one pass cheaper.
 */
public final class Lora {
    private Lora() {}

    /** u = scale·x·Aᵀ; y += u·Bᵀ. */
    public static void forward(float[] x, Matrix a, Matrix b, float scale, float[] u, float[] y, int n) {
        project(x, a, scale, u, n);
        Gemm.matmulTransB(u, 0, b, y, 0, n, true);
    }

    /** Only u = scale·x·Aᵀ: what backward keeps (gradient checkpointing recomputes just this). */
    public static void project(float[] x, Matrix a, float scale, float[] u, int n) {
        Gemm.matmulTransB(x, 0, a, u, 0, n, false);
        VectorMath.scale(u, 0, n * a.rows(), scale);
    }

    /**
     * dB += dyᵀ·u; du = scale·dy·B (scratch [n x r]); dA += duᵀ·x; dx += du·A (dx may be null).
     */
    public static void backward(float[] dy, float[] x, Matrix a, Matrix b, float scale, float[] u,
                                float[] dx, float[] da, int daOff, float[] db, int dbOff, float[] du, int n) {
        int r = a.rows(), in = a.cols(), out = b.rows();
        Gemm.matmulTransA(dy, 0, u, 0, db, dbOff, n, out, r, true);
        Gemm.matmul(dy, 0, b, du, 0, n, false);
        VectorMath.scale(du, 0, n * r, scale);
        Gemm.matmulTransA(du, 0, x, 0, da, daOff, n, r, in, true);
        if (dx != null) Gemm.matmul(du, 0, a, dx, 0, n, true);
    }
}
