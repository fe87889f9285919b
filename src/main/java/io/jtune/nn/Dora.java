package io.jtune.nn;

import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;

/**
 * DoRA (weight-decomposed low-rank adaptation) on a linear layer, as PEFT computes it:
 * <pre>
 *   W' = g ⊙ (W₀ + s·B·A),   g[o] = m[o] / ‖W₀[o,:] + s·(B·A)[o,:]‖
 * </pre>
 * with a trained magnitude m [out], one per output row, and the row norm treated as a constant in
 * backward (PEFT detaches it, as the DoRA paper suggests in its section 4.3). PEFT adds the change to
 * the base layer's output y = x·W₀ᵀ + b rather than building W':
 * <pre>
 *   y += (g − 1) ⊙ (x'·W₀ᵀ) + g ⊙ s·(x'·Aᵀ)·Bᵀ
 * </pre>
 * where x' is the adapter's input: the layer's input, or its dropped-out copy in training with
 * lora_dropout, in which case x'·W₀ᵀ is a GEMM of its own (without dropout it is y − b, already there).
 * Forward keeps u = s·x'·Aᵀ [n x r] and the un-normalised direction d = x'·W₀ᵀ + u·Bᵀ [n x out];
 * backward needs nothing else besides x'.
 */
public final class Dora {
    private Dora() {}

    /** norms[o] = ‖W₀[o,:] + s·(B·A)[o,:]‖₂, the per-output-row norm PEFT's get_weight_norm takes (dim=1). */
    public static void rowNorms(Matrix w0, Matrix a, Matrix b, float scale, float[] norms) {
        int out = w0.rows(), in = w0.cols(), rank = a.rows();
        float[] aRows = new float[rank * in];
        for (int r = 0; r < rank; r++) a.readRow(r, 0, in, aRows, r * in);
        int chunks = ParallelTasks.chunks(out, 16);
        ParallelTasks.forEach(chunks, c -> {
            float[] row = new float[in];
            float[] bRow = new float[rank];
            for (int o = (int) ((long) out * c / chunks), hi = (int) ((long) out * (c + 1) / chunks); o < hi; o++) {
                mergedRow(w0, aRows, b, scale, o, row, bRow);
                norms[o] = (float) Math.sqrt(VectorMath.sumOfSquares(row, 0, in));
            }
        });
    }

    /** row = W₀[o,:] + s·Σ_r B[o,r]·A[r,:]. */
    static void mergedRow(Matrix w0, float[] aRows, Matrix b, float scale, int o, float[] row, float[] bRow) {
        int in = w0.cols(), rank = b.cols();
        w0.readRow(o, 0, in, row, 0);
        b.readRow(o, 0, rank, bRow, 0);
        for (int r = 0; r < rank; r++) VectorMath.axpy(scale * bRow[r], aRows, r * in, row, 0, in);
    }

    /**
     * Adds DoRA's change to y [n x out], which holds the base layer's output x·W₀ᵀ + b.
     *
     * @param x        the adapter's input x' [n x in]
     * @param dropped  whether x' is a dropped-out copy of the layer's input (then x'·W₀ᵀ is computed here)
     * @param bias     the layer's bias (null: none), at biasOffset
     * @param g        m / norm per output row
     * @param u        receives s·x'·Aᵀ [n x r]
     * @param d        receives x'·W₀ᵀ + u·Bᵀ [n x out] at dOff
     */
    public static void forward(float[] x, boolean dropped, Matrix w0, float[] bias, int biasOffset, Matrix a, Matrix b,
                               float scale, float[] g, float[] u, float[] d, int dOff, float[] y, int n) {
        int out = w0.rows();
        if (dropped) {
            Gemm.matmulTransB(x, 0, w0, d, dOff, n, false);
            for (int i = 0; i < n * out; i++) y[i] -= d[dOff + i];
        } else {
            // d = y − b is the base result PEFT reuses; y keeps only the bias.
            for (int t = 0; t < n; t++) {
                for (int o = 0; o < out; o++) {
                    float bo = bias == null ? 0f : bias[biasOffset + o];
                    d[dOff + t * out + o] = y[t * out + o] - bo;
                    y[t * out + o] = bo;
                }
            }
        }
        Lora.project(x, a, scale, u, n);
        Gemm.matmulTransB(u, 0, b, d, dOff, n, true);
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) y[t * out + o] += g[o] * d[dOff + t * out + o];
        }
    }

    /** Gradient checkpointing: refills u and d from x' alone. */
    public static void recompute(float[] x, Matrix w0, Matrix a, Matrix b, float scale, float[] u, float[] d, int dOff, int n) {
        Gemm.matmulTransB(x, 0, w0, d, dOff, n, false);
        Lora.project(x, a, scale, u, n);
        Gemm.matmulTransB(u, 0, b, d, dOff, n, true);
    }

    /**
     * Backward of {@link #forward} with the norm constant: dm[o] += Σ_t dy[t,o]·d[t,o] / norm[o];
     * LoRA's backward with dy scaled by g; dx' += ((g − 1) ⊙ dy)·W₀ (the base path itself is the
     * layer's own backward). dx may be null.
     *
     * @param scratch at least n·out floats
     */
    public static void backward(float[] dy, float[] x, float[] dx, Matrix w0, Matrix a, Matrix b, float scale,
                                float[] g, float[] norms, float[] u, float[] d, int dOff,
                                float[] da, int daOff, float[] db, int dbOff, float[] dm, int dmOff, float[] scratch, int n) {
        int out = w0.rows(), rank = a.rows();
        int chunks = ParallelTasks.chunks(out, 64);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) out * c / chunks), hi = (int) ((long) out * (c + 1) / chunks);
            double[] sums = new double[hi - lo];   // per row, over tokens in order: row-contiguous reads
            for (int t = 0; t < n; t++) {
                for (int o = lo; o < hi; o++) sums[o - lo] += (double) dy[t * out + o] * d[dOff + t * out + o];
            }
            for (int o = lo; o < hi; o++) dm[dmOff + o] += (float) (sums[o - lo] / norms[o]);
        });
        float[] scaledDy = scratch;
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) scaledDy[t * out + o] = g[o] * dy[t * out + o];
        }
        float[] du = new float[n * rank];
        Lora.backward(scaledDy, x, a, b, scale, u, dx, da, daOff, db, dbOff, du, n);
        if (dx == null) return;
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) scaledDy[t * out + o] = (g[o] - 1f) * dy[t * out + o];
        }
        Gemm.matmul(scaledDy, 0, w0, dx, 0, n, true);
    }

    /**
     * Merges DoRA into a dense copy of W₀ [out x in]: each row becomes m[o]·(W₀ + s·B·A)[o,:] / its norm,
     * as PEFT's merge does.
     */
    public static void merge(float[] weight, int out, int in, Matrix a, Matrix b, float scale, float[] m, int mOff) {
        int rank = a.rows();
        float[] aRows = new float[rank * in];
        for (int r = 0; r < rank; r++) a.readRow(r, 0, in, aRows, r * in);
        Matrix w0 = Matrix.of(weight, out, in);
        float[] row = new float[in];
        float[] bRow = new float[rank];
        for (int o = 0; o < out; o++) {
            mergedRow(w0, aRows, b, scale, o, row, bRow);
            float factor = (float) (m[mOff + o] / Math.sqrt(VectorMath.sumOfSquares(row, 0, in)));
            for (int i = 0; i < in; i++) weight[o * in + i] = factor * row[i];
        }
    }
}
