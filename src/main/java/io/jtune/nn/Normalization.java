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

    void forward(Kernels k, float[] x, float[] w, int wOff, float[] out, float[] stat, int rows, int dim, float eps);

    /** Adds the input gradient to dx (skipped when null) and the weight gradient to dw (skipped when null). */
    void backward(Kernels k, float[] dy, float[] x, float[] w, int wOff, float[] stat,
                  float[] dx, float[] dw, int dwOff, int rows, int dim);
}
