package io.jtune.nn;

/**
 * A per-row normalisation with a learned weight, forward and backward side by side: what a model
 * family puts before attention and the MLP, on the final hidden state, and on q/k heads. Forward
 * keeps one statistic per row ({@code stat}) for backward.
 */
public interface Normalization {
    /** RMSNorm as Llama computes it in fp32: y = w ⊙ x / sqrt(mean(x²) + eps); stat is 1/rms. */
    Normalization RMS = new Normalization() {
        @Override public void forward(Kernels k, float[] x, float[] w, int wOff, float[] out, float[] stat,
                                      int rows, int dim, float eps) {
            k.rmsNormForward(x, w, wOff, out, stat, rows, dim, eps);
        }

        @Override public void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat,
                                       float[] dx, float[] dw, int dwOff, int rows, int dim) {
            k.rmsNormBackward(dy, x, w, wOff, stat, dx, dw, dwOff, rows, dim);
        }
    };

    /**
     * Gemma's RMSNorm (GemmaRMSNorm, Gemma2/3 alike): the checkpoint stores the weight as an offset
     * from one, y = (1 + w) ⊙ x / sqrt(mean(x²) + eps), computed in fp32; stat is 1/rms.
     */
    Normalization RMS_ONE_PLUS_WEIGHT = new Normalization() {
        @Override public void forward(Kernels k, float[] x, float[] w, int wOff, float[] out, float[] stat,
                                      int rows, int dim, float eps) {
            k.rmsNormForward(x, w, wOff, 1f, out, stat, rows, dim, eps);
        }

        @Override public void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat,
                                       float[] dx, float[] dw, int dwOff, int rows, int dim) {
            k.rmsNormBackward(dy, x, w, wOff, 1f, stat, dx, dw, dwOff, rows, dim);
        }

        @Override public float weightOffset() { return 1f; }
    };

    /**
     * LayerNorm with weight and bias (torch.nn.LayerNorm: GPT-2, BLOOM, Falcon): y = w ⊙ (x − μ)/σ + b;
     * stat is 1/σ ({@link LayerNorm}). Without a bias (null) it is w ⊙ (x − μ)/σ.
     */
    Normalization LAYER_NORM = new Normalization() {
        @Override public void forward(Kernels k, float[] x, float[] w, int wOff, float[] out, float[] stat,
                                      int rows, int dim, float eps) {
            LayerNorm.forward(x, w, wOff, null, 0, out, stat, rows, dim, eps);
        }

        @Override public void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat,
                                       float[] dx, float[] dw, int dwOff, int rows, int dim) {
            LayerNorm.backward(dy, x, w, wOff, stat, dx, dw, dwOff, null, 0, rows, dim);
        }

        @Override public void forward(Kernels k, float[] x, float[] w, int wOff, float[] b, int bOff, float[] out,
                                      float[] stat, int rows, int dim, float eps) {
            LayerNorm.forward(x, w, wOff, b, bOff, out, stat, rows, dim, eps);
        }

        @Override public void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat, float[] dx,
                                       float[] dw, int dwOff, float[] db, int dbOff, int rows, int dim) {
            LayerNorm.backward(dy, x, w, wOff, stat, dx, dw, dwOff, db, dbOff, rows, dim);
        }

        @Override public boolean hasBias() { return true; }
    };

    /** Whether the norm's modules carry a bias beside their weight (LayerNorm). */
    default boolean hasBias() { return false; }

    /** forward with a bias added after scaling (b null: none); only a norm with {@link #hasBias()} takes one. */
    default void forward(Kernels k, float[] x, float[] w, int wOff, float[] b, int bOff, float[] out, float[] stat,
                         int rows, int dim, float eps) {
        if (b != null) throw new IllegalArgumentException("this normalisation has no bias");
        forward(k, x, w, wOff, out, stat, rows, dim, eps);
    }

    /** backward with the bias gradient added to db (skipped when null). */
    default void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat, float[] dx,
                          float[] dw, int dwOff, float[] db, int dbOff, int rows, int dim) {
        if (db != null) throw new IllegalArgumentException("this normalisation has no bias");
        backward(k, dy, x, w, wOff, stat, dx, dw, dwOff, rows, dim);
    }

    /**
     * What the op adds to the stored weight before scaling (0, or 1 for Gemma): a stored weight of
     * {@code -weightOffset()} is the identity's, and formats that store the effective weight (GGUF)
     * add it on export.
     */
    default float weightOffset() { return 0f; }

    void forward(Kernels k, float[] x, float[] w, int wOff, float[] out, float[] stat, int rows, int dim, float eps);

    /** Adds the input gradient to dx (skipped when null) and the weight gradient to dw (skipped when null). */
    void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat,
                  float[] dx, float[] dw, int dwOff, int rows, int dim);
}
