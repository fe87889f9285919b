package io.jtune.nn;

import io.jtune.tensor.Matrix;

/** The pure-Java implementation: each method is the op class of the same name. */
final class CpuKernels implements Kernels {
    @Override public void embeddingForward(Matrix table, int[] ids, float[] out, int n) {
        Embedding.forward(table, ids, out, n);
    }
    @Override public void embeddingBackward(int[] ids, float[] dOut, float[] dTable, int tableOff, int n, int dim) {
        Embedding.backward(ids, dOut, dTable, tableOff, n, dim);
    }
    @Override public void rmsNormForward(float[] x, float[] w, int wOff, float[] out, float[] rstd, int rows, int dim, float eps) {
        RmsNorm.forward(x, w, wOff, out, rstd, rows, dim, eps);
    }
    @Override public void rmsNormBackward(float[] dy, float[] x, float[] w, int wOff, float[] rstd,
                                          float[] dx, float[] dw, int dwOff, int rows, int dim) {
        RmsNorm.backward(dy, x, w, wOff, rstd, dx, dw, dwOff, rows, dim);
    }
    @Override public void rmsNormForward(float[] x, float[] w, int wOff, float shift, float[] out, float[] rstd,
                                         int rows, int dim, float eps) {
        RmsNorm.forward(x, w, wOff, shift, out, rstd, rows, dim, eps);
    }
    @Override public void rmsNormBackward(float[] dy, float[] x, float[] w, int wOff, float shift, float[] rstd,
                                          float[] dx, float[] dw, int dwOff, int rows, int dim) {
        RmsNorm.backward(dy, x, w, wOff, shift, rstd, dx, dw, dwOff, rows, dim);
    }
    @Override public void ropeForward(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        Rope.forward(x, cos, sin, n, heads, headDim, rotaryDim);
    }
    @Override public void ropeBackward(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        Rope.backward(dx, cos, sin, n, heads, headDim, rotaryDim);
    }
    @Override public void ropeInterleavedForward(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        Rope.forwardInterleaved(x, cos, sin, n, heads, headDim, rotaryDim);
    }
    @Override public void ropeInterleavedBackward(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        Rope.backwardInterleaved(dx, cos, sin, n, heads, headDim, rotaryDim);
    }
    @Override public void attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse, Attention.Shape shape) {
        Attention.forward(q, k, v, out, lse, shape);
    }
    @Override public void attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut,
                                            float[] dq, float[] dk, float[] dv, Attention.Shape shape) {
        Attention.backward(q, k, v, out, lse, dOut, dq, dk, dv, shape);
    }
    @Override public void swigluForward(float[] gate, float[] up, float[] out, int n) {
        SwiGlu.forward(gate, up, out, n);
    }
    @Override public void swigluBackward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        SwiGlu.backward(dh, gate, up, dGate, dUp, n);
    }
    @Override public void gegluForward(float[] gate, float[] up, float[] out, int n) {
        GeGlu.forward(gate, up, out, n);
    }
    @Override public void gegluBackward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        GeGlu.backward(dh, gate, up, dGate, dUp, n);
    }
    @Override public void linearForward(float[] x, Matrix w, float[] bias, int biasOff, float[] y, int n) {
        Linear.forward(x, w, bias, biasOff, y, n);
    }
    @Override public void linearBackward(float[] dy, float[] x, Matrix w, float[] dx, float[] dw, int dwOff,
                                         float[] db, int dbOff, int n) {
        Linear.backward(dy, x, w, dx, dw, dwOff, db, dbOff, n);
    }
    @Override public void loraForward(float[] x, Matrix a, Matrix b, float scale, float[] u, float[] y, int n) {
        Lora.forward(x, a, b, scale, u, y, n);
    }
    @Override public void loraProject(float[] x, Matrix a, float scale, float[] u, int n) {
        Lora.project(x, a, scale, u, n);
    }
    @Override public void loraBackward(float[] dy, float[] x, Matrix a, Matrix b, float scale, float[] u, float[] dx,
                                       float[] da, int daOff, float[] db, int dbOff, float[] du, int n) {
        Lora.backward(dy, x, a, b, scale, u, dx, da, daOff, db, dbOff, du, n);
    }
    @Override public void doraRowNorms(Matrix w0, Matrix a, Matrix b, float scale, float[] norms) {
        Dora.rowNorms(w0, a, b, scale, norms);
    }
    @Override public void doraForward(float[] x, boolean dropped, Matrix w0, float[] bias, int biasOff, Matrix a, Matrix b,
                                      float scale, float[] g, float[] u, float[] d, int dOff, float[] y, int n) {
        Dora.forward(x, dropped, w0, bias, biasOff, a, b, scale, g, u, d, dOff, y, n);
    }
    @Override public void doraRecompute(float[] x, Matrix w0, Matrix a, Matrix b, float scale, float[] u, float[] d, int dOff, int n) {
        Dora.recompute(x, w0, a, b, scale, u, d, dOff, n);
    }
    @Override public void doraBackward(float[] dy, float[] x, float[] dx, Matrix w0, Matrix a, Matrix b, float scale, float[] g,
                                       float[] norms, float[] u, float[] d, int dOff, float[] da, int daOff, float[] db, int dbOff,
                                       float[] dm, int dmOff, float[] scratch, int n) {
        Dora.backward(dy, x, dx, w0, a, b, scale, g, norms, u, d, dOff, da, daOff, db, dbOff, dm, dmOff, scratch, n);
    }
    @Override public void dropoutForward(float[] x, float[] out, int n, float p, long seed) {
        Dropout.forward(x, out, n, p, seed);
    }
    @Override public void dropoutBackward(float[] dOut, float[] dx, int n, float p, long seed) {
        Dropout.backward(dOut, dx, n, p, seed);
    }
    @Override public void add(float[] a, float[] b, float[] out, int n) {
        VectorMath.sum(a, b, out, n);
    }
}
