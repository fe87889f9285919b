package io.jtune.model;

/**
 * Where a layer's attention finds its keys and values: among the batch's own tokens (training and
 * full forward passes, {@link io.jtune.nn.Attention}) or in a key/value cache that the new tokens
 * join (decoding, {@link io.jtune.nn.CachedAttention}). Everything else in the layer is the same
 * code for both, so decoding cannot drift from training.
 */
interface AttentionContext {
    /**
     * Attends the n new rows' queries q (RoPE applied) to the keys and values visible to them, into
     * out; a context whose backward needs it also fills lse, the logsumexp of each row and head.
     */
    void attend(int layer, float[] q, float[] k, float[] v, float[] out, float[] lse, int n);
}
