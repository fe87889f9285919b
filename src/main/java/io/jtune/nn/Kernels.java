package io.jtune.nn;

import io.jtune.tensor.Matrix;

/**
 * Every op the model runs, forward and backward, behind one interface so that another backend
 * (a CUDA one) can replace the CPU implementation op by op and be tested against it.
 *
 * <p>Conventions: buffers are fp32, row-major, token-major; backward methods ADD into their
 * gradient outputs (llm.c style), so callers zero a gradient buffer once before its first
 * contribution; a null gradient output means "not needed" and its work is skipped.
 */
public interface Kernels {
    Kernels CPU = new CpuKernels();

    void embeddingForward(Matrix table, int[] ids, float[] out, int n);
    void embeddingBackward(int[] ids, float[] dOut, float[] dTable, int tableOff, int n, int dim);

    void rmsNormForward(float[] x, float[] w, int wOff, float[] out, float[] rstd, int rows, int dim, float eps);
    void rmsNormBackward(float[] dy, float[] x, float[] w, int wOff, float[] rstd,
                         float[] dx, float[] dw, int dwOff, int rows, int dim);

    /** RMSNorm with the weight applied as (shift + w): Gemma's norms use shift 1. */
    void rmsNormForward(float[] x, float[] w, int wOff, float shift, float[] out, float[] rstd, int rows, int dim, float eps);
    void rmsNormBackward(float[] dy, float[] x, float[] w, int wOff, float shift, float[] rstd,
                         float[] dx, float[] dw, int dwOff, int rows, int dim);

    void ropeForward(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim);
    void ropeBackward(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim);
    /** GLM's interleaved rotary (pairs 2i, 2i + 1) on the first rotaryDim entries of each head ({@link Rope#forwardInterleaved}). */
    void ropeInterleavedForward(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim);
    void ropeInterleavedBackward(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim);

    void attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse, Attention.Shape shape);
    void attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut,
                           float[] dq, float[] dk, float[] dv, Attention.Shape shape);

    void swigluForward(float[] gate, float[] up, float[] out, int n);
    void swigluBackward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n);

    /** GeGLU with tanh-approximated GELU (Gemma's MLP). */
    void gegluForward(float[] gate, float[] up, float[] out, int n);
    void gegluBackward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n);

    void linearForward(float[] x, Matrix w, float[] bias, int biasOff, float[] y, int n);
    void linearBackward(float[] dy, float[] x, Matrix w, float[] dx, float[] dw, int dwOff,
                        float[] db, int dbOff, int n);

    void loraForward(float[] x, Matrix a, Matrix b, float scale, float[] u, float[] y, int n);
    void loraProject(float[] x, Matrix a, float scale, float[] u, int n);
    void loraBackward(float[] dy, float[] x, Matrix a, Matrix b, float scale, float[] u, float[] dx,
                      float[] da, int daOff, float[] db, int dbOff, float[] du, int n);

    /** DoRA (see {@link Dora}): the row norms of W₀ + s·B·A, and the layer's forward, recompute and backward. */
    void doraRowNorms(Matrix w0, Matrix a, Matrix b, float scale, float[] norms);
    void doraForward(float[] x, boolean dropped, Matrix w0, float[] bias, int biasOff, Matrix a, Matrix b, float scale,
                     float[] g, float[] u, float[] d, int dOff, float[] y, int n);
    void doraRecompute(float[] x, Matrix w0, Matrix a, Matrix b, float scale, float[] u, float[] d, int dOff, int n);
    void doraBackward(float[] dy, float[] x, float[] dx, Matrix w0, Matrix a, Matrix b, float scale, float[] g, float[] norms,
                      float[] u, float[] d, int dOff, float[] da, int daOff, float[] db, int dbOff, float[] dm, int dmOff,
                      float[] scratch, int n);

    void dropoutForward(float[] x, float[] out, int n, float p, long seed);
    void dropoutBackward(float[] dOut, float[] dx, int n, float p, long seed);

    /** out = a + b elementwise (the residual connection). */
    void add(float[] a, float[] b, float[] out, int n);
}
