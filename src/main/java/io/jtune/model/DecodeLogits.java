package io.jtune.model;

import io.jtune.nn.Kernels;
import io.jtune.nn.SoftCap;
import io.jtune.tensor.Gemm;

/**
 * The logits of chosen rows of the last layer's output while generating: the final norm, then the
 * LM head (one product for all rows, so a batch of sequences reads the head's weights once), then
 * the final soft-cap where the family has one (Gemma 2). {@link InferenceSession} and
 * {@link BatchDecoder} both end their passes here, so a token's logits are the same bits either way.
 */
final class DecodeLogits {
    private DecodeLogits() {}

    /**
     * Logits of {@code rows} rows of {@code x} ([· x hidden], from row {@code row}) into
     * out[outOff .. outOff + rows·vocab).
     */
    static void compute(Dims d, Kernels k, ModelWeights w, float[] x, int row, int rows, float[] out, int outOff) {
        if (rows == 0) return;
        int h = d.hidden();
        float[] hidden = x;
        int from = row * h;
        float[] normed = new float[rows * h];
        if (from != 0) {   // the norm reads its rows from the start of an array
            hidden = new float[rows * h];
            System.arraycopy(x, from, hidden, 0, rows * h);
        }
        Norms.forward(k, d, hidden, w.finalNorm, w.finalNormBias, normed, new float[rows], rows, h);
        Gemm.matmulTransB(normed, 0, w.lmHead.matrix, out, outOff, rows, false);
        if (d.finalSoftcap() > 0) SoftCap.forward(out, outOff, rows * d.vocab(), d.finalSoftcap());
    }
}
