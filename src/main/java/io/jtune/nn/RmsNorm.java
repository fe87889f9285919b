package io.jtune.nn;

/**
 * RMSNorm as HF's LlamaRMSNorm computes it in fp32: y = w · (x · rstd), rstd = 1/sqrt(mean(x²) + eps).
 * Forward keeps {@code rstd} per row, so backward needs only x, w and rstd.
 *
 * <p>Gemma's RMSNorm stores its weight as an offset from one and applies (1 + w), all in fp32: the
 * same op with a {@code shift} of 1 (0 for Llama's). The weight gradient is the same either way,
 * since ∂(s + w)/∂w = 1.
 *
 * <p>Used on the residual stream ([tokens x hidden]) and, for qwen3's q_norm/k_norm, on every head
 * ([tokens·heads x head_dim]): the same kernel with rows = tokens·heads.
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** out[r] = w ⊙ x[r]·rstd[r] for each of {@code rows} rows of length {@code dim}. */
    public static void forward(float[] x, float[] w, int wOff, float[] out, float[] rstd,
                               int rows, int dim, float eps) {
        forward(x, w, wOff, 0f, out, rstd, rows, dim, eps);
    }

    /** out[r] = (shift + w) ⊙ x[r]·rstd[r]: Gemma's norm with shift 1. */
    public static void forward(float[] x, float[] w, int wOff, float shift, float[] out, float[] rstd,
                               int rows, int dim, float eps) {
        int chunks = ParallelTasks.rowChunks(rows, dim);
        ParallelTasks.forEach(chunks, c -> {
            int lo = rows * c / chunks, hi = rows * (c + 1) / chunks;
            for (int r = lo; r < hi; r++) {
                int o = r * dim;
                float meanSquare = (float) (VectorMath.sumOfSquares(x, o, dim) / dim);
                float s = (float) (1.0 / Math.sqrt(meanSquare + eps));
                rstd[r] = s;
                for (int i = 0; i < dim; i++) out[o + i] = (shift + w[wOff + i]) * (x[o + i] * s);
            }
        });
    }

    /**
     * Adds the input gradient to dx (skipped when null) and, when dw is non-null, the weight gradient to dw.
     * With x̂ = x·rstd and g = dy ⊙ w: dx = rstd · (g − x̂ · mean(g ⊙ x̂)), dw = Σ_rows dy ⊙ x̂.
     */
    public static void backward(float[] dy, float[] x, float[] w, int wOff, float[] rstd,
                                float[] dx, float[] dw, int dwOff, int rows, int dim) {
        backward(dy, x, w, wOff, 0f, rstd, dx, dw, dwOff, rows, dim);
    }

    /** The backward of {@link #forward(float[], float[], int, float, float[], float[], int, int, float)}: g = dy ⊙ (shift + w). */
    public static void backward(float[] dy, float[] x, float[] w, int wOff, float shift, float[] rstd,
                                float[] dx, float[] dw, int dwOff, int rows, int dim) {
        if (dx != null) inputGradient(dy, x, w, wOff, shift, rstd, dx, rows, dim);
        if (dw != null) weightGradient(dy, x, rstd, dw, dwOff, rows, dim);
    }

    private static void inputGradient(float[] dy, float[] x, float[] w, int wOff, float shift, float[] rstd,
                                      float[] dx, int rows, int dim) {
        int chunks = ParallelTasks.rowChunks(rows, 3 * dim);
        ParallelTasks.forEach(chunks, c -> {
            int lo = rows * c / chunks, hi = rows * (c + 1) / chunks;
            for (int r = lo; r < hi; r++) {
                int o = r * dim;
                float s = rstd[r];
                float dot = 0;
                for (int i = 0; i < dim; i++) dot += dy[o + i] * (shift + w[wOff + i]) * (x[o + i] * s);
                float mean = dot / dim;
                for (int i = 0; i < dim; i++) {
                    float xhat = x[o + i] * s;
                    dx[o + i] += s * (dy[o + i] * (shift + w[wOff + i]) - xhat * mean);
                }
            }
        });
    }

    private static void weightGradient(float[] dy, float[] x, float[] rstd, float[] dw, int dwOff, int rows, int dim) {
        // Weight gradient: a sum over rows; split over columns so each task owns its outputs.
        int colChunks = ParallelTasks.rowChunks(dim, 2 * rows);
        ParallelTasks.forEach(colChunks, c -> {
            int lo = dim * c / colChunks, hi = dim * (c + 1) / colChunks;
            for (int r = 0; r < rows; r++) {
                int o = r * dim;
                float s = rstd[r];
                for (int i = lo; i < hi; i++) dw[dwOff + i] += dy[o + i] * (x[o + i] * s);
            }
        });
    }
}
