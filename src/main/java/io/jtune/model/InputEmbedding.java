package io.jtune.model;

import io.jtune.nn.Kernels;
import io.jtune.nn.VectorMath;

/**
 * What enters the first layer, forward and backward side by side: each token's embedding row times
 * the family's scale (Gemma's √hidden), plus, for learned absolute positions (GPT-2's wpe), the row of
 * its position. Training, KV-cached and batched decoding all start here, so they see the same input.
 */
final class InputEmbedding {
    private InputEmbedding() {}

    /** out [n x hidden] = scale·wte[ids] (+ wpe[positions]). */
    static void forward(Kernels k, Dims d, ModelWeights w, int[] ids, int[] positions, float[] out, int n) {
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
     * Adds the gradients of the tables that train, given dOut, the gradient at the layers' input
     * (scaled in place by the embedding scale on the way to wte).
     */
    static void backward(Kernels k, Dims d, ModelWeights w, int[] ids, int[] positions, float[] dOut, int n) {
        if (w.positionEmbed != null && w.positionEmbed.trainable()) {
            k.embeddingBackward(positions, dOut, w.positionEmbed.grad, w.positionEmbed.gradOffset, n, d.hidden());
        }
        if (!w.embed.trainable()) return;
        if (d.embeddingScale() != 1f) VectorMath.scale(dOut, 0, n * d.hidden(), d.embeddingScale());
        k.embeddingBackward(ids, dOut, w.embed.grad, w.embed.gradOffset, n, d.hidden());
    }
}
