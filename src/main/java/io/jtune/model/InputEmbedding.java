package io.jtune.model;

import io.jtune.nn.Kernels;
import io.jtune.nn.VectorMath;

/**
 * What enters the first layer, forward and backward side by side: each token's embedding row times
 * the family's scale (Gemma's √hidden), plus, for learned absolute positions (GPT-2's wpe), the row of
 * its position, then, in BLOOM, a LayerNorm (word_embeddings_layernorm). Training, KV-cached and
 * batched decoding all start here, so they see the same input.
 */
final class InputEmbedding {
    private InputEmbedding() {}

    /** For decoding: the embedding norm's input and statistics go to scratch arrays of this call. */
    static void forward(Kernels k, Dims d, ModelWeights w, int[] ids, int[] positions, float[] out, int n) {
        boolean norm = w.embedNorm != null;
        forward(k, d, w, ids, positions, out, n, norm ? new float[n * d.hidden()] : null, norm ? new float[n] : null);
    }

    /**
     * out [n x hidden] = scale·wte[ids] (+ wpe[positions]), or its LayerNorm; with a norm, raw gets
     * the embeddings before it and rstd its statistics, which backward reads.
     */
    static void forward(Kernels k, Dims d, ModelWeights w, int[] ids, int[] positions, float[] out, int n, float[] raw,
                        float[] rstd) {
        if (w.embedNorm != null) {
            lookUp(k, d, w, ids, positions, raw, n);
            Norms.forward(k, d, raw, w.embedNorm, w.embedNormBias, out, rstd, n, d.hidden());
        } else {
            lookUp(k, d, w, ids, positions, out, n);
        }
    }

    private static void lookUp(Kernels k, Dims d, ModelWeights w, int[] ids, int[] positions, float[] out, int n) {
        k.embeddingForward(w.embed.matrix, ids, out, n);
        if (d.embeddingScale() != 1f) VectorMath.scale(out, 0, n * d.hidden(), d.embeddingScale());
        if (w.positionEmbed == null) return;
        int h = d.hidden();
        float[] row = new float[h];
        for (int t = 0; t < n; t++) {
            if (positions[t] >= w.positionEmbed.rows) {
                throw new io.jtune.JtuneException("position " + positions[t] + " is beyond the model's " + w.positionEmbed.rows
                        + " learned positions (n_positions in config.json): shorten cutoff_len or the prompt");
            }
            w.positionEmbed.matrix.readRow(positions[t], 0, h, row, 0);
            VectorMath.add(row, 0, out, t * h, h);
        }
    }

    /**
     * Adds the gradients of the tables (and the embedding norm) that train, given dOut, the gradient
     * at the layers' input (scaled in place by the embedding scale on the way to wte). With a norm,
     * raw and rstd are the forward's, and dRaw [n x hidden] is scratch.
     */
    static void backward(Kernels k, Dims d, ModelWeights w, int[] ids, int[] positions, float[] dOut, int n, float[] raw,
                         float[] rstd, float[] dRaw) {
        if (w.embedNorm != null) {
            java.util.Arrays.fill(dRaw, 0, n * d.hidden(), 0f);
            Norms.backward(k, d, dOut, raw, w.embedNorm, w.embedNormBias, rstd, w.embed.trainable() ? dRaw : null, n, d.hidden());
            dOut = dRaw;
        }
        if (w.positionEmbed != null && w.positionEmbed.trainable()) {
            k.embeddingBackward(positions, dOut, w.positionEmbed.grad, w.positionEmbed.gradOffset, n, d.hidden());
        }
        if (!w.embed.trainable()) return;
        if (d.embeddingScale() != 1f) VectorMath.scale(dOut, 0, n * d.hidden(), d.embeddingScale());
        k.embeddingBackward(ids, dOut, w.embed.grad, w.embed.gradOffset, n, d.hidden());
    }
}
