package io.jtune.nn;

/**
 * LayerNorm with a learned weight and an optional bias (torch.nn.LayerNorm, GPT-2's ln_1, BLOOM's and
 * Falcon's input_layernorm), forward and backward side by side:
 * <pre>
 *   μ = mean(x),  σ² = mean((x − μ)²)  (biased, as torch),  r = 1/√(σ² + eps)
 *   x̂ = (x − μ)·r,   y = w ⊙ x̂ + b
 *   backward:  g = dy ⊙ w,   dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂)),   dw += Σ_rows dy ⊙ x̂,   db += Σ_rows dy
 * </pre>
 * Forward keeps r per row; backward recomputes μ from x (one pass over rows it reads anyway). Row
 * statistics are accumulated in double, in index order; weight and bias gradients sum rows in order,
 * each column chunk on one thread, so the result does not depend on the thread count.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** out = LayerNorm(x) over rows of length dim; b may be null (no bias); rstd gets 1/σ per row. */
    public static void forward(float[] x, float[] w, int wOff, float[] b, int bOff, float[] out, float[] rstd,
                               int rows, int dim, float eps) {
        int chunks = ParallelTasks.chunks(rows, 16);
        ParallelTasks.forEach(chunks, c -> {
            for (int r = rows * c / chunks, hi = rows * (c + 1) / chunks; r < hi; r++) {
                int o = r * dim;
                double mean = mean(x, o, dim);
                double var = 0;
                for (int i = 0; i < dim; i++) {
                    double centred = x[o + i] - mean;
                    var += centred * centred;
                }
                float inv = (float) (1.0 / Math.sqrt(var / dim + eps));
                rstd[r] = inv;
                float m = (float) mean;
                for (int i = 0; i < dim; i++) {
                    float y = (x[o + i] - m) * inv * w[wOff + i];
                    out[o + i] = b == null ? y : y + b[bOff + i];
                }
            }
        });
    }

    /**
     * Adds the input gradient to dx (skipped when null), the weight gradient to dw and the bias
     * gradient to db (each skipped when null).
     */
    public static void backward(float[] dy, float[] x, float[] w, int wOff, float[] rstd, float[] dx,
                                float[] dw, int dwOff, float[] db, int dbOff, int rows, int dim) {
        float[] means = new float[rows];
        int rowChunks = ParallelTasks.chunks(rows, 16);
        ParallelTasks.forEach(rowChunks, c -> {
            for (int r = rows * c / rowChunks, hi = rows * (c + 1) / rowChunks; r < hi; r++) means[r] = (float) mean(x, r * dim, dim);
        });
        if (dx != null) {
            ParallelTasks.forEach(rowChunks, c -> {
                float[] xhat = new float[dim];
                for (int r = rows * c / rowChunks, hi = rows * (c + 1) / rowChunks; r < hi; r++) {
                    int o = r * dim;
                    float m = means[r], inv = rstd[r];
                    double meanG = 0, meanGx = 0;
                    for (int i = 0; i < dim; i++) {
                        xhat[i] = (x[o + i] - m) * inv;
                        double g = dy[o + i] * w[wOff + i];
                        meanG += g;
                        meanGx += g * xhat[i];
                    }
                    float mg = (float) (meanG / dim), mgx = (float) (meanGx / dim);
                    for (int i = 0; i < dim; i++) {
                        dx[o + i] += inv * (dy[o + i] * w[wOff + i] - mg - xhat[i] * mgx);
                    }
                }
            });
        }
        if (dw == null && db == null) return;
        // Columns split into chunks; each chunk sums its columns over all rows, in row order.
        int colChunks = ParallelTasks.chunks(dim, 64);
        ParallelTasks.forEach(colChunks, c -> {
            int lo = dim * c / colChunks, hi = dim * (c + 1) / colChunks;
            for (int r = 0; r < rows; r++) {
                int o = r * dim;
                float m = means[r], inv = rstd[r];
                for (int i = lo; i < hi; i++) {
                    if (dw != null) dw[dwOff + i] += dy[o + i] * ((x[o + i] - m) * inv);
                    if (db != null) db[dbOff + i] += dy[o + i];
                }
            }
        });
    }

    private static double mean(float[] x, int off, int dim) {
        double s = 0;
        for (int i = 0; i < dim; i++) s += x[off + i];
        return s / dim;
    }
}
