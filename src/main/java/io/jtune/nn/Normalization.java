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
