package io.jtune.model.arch;

/** How a family's attention knows where each token is. */
public enum PositionEncoding {
    /** Rotary embeddings on q and k, HF's rotate-half convention ({@link io.jtune.nn.Rope}). */
    ROTARY,
    /**
     * Rotary embeddings in GLM's interleaved convention: adjacent pairs (2i, 2i + 1) of the rotated
     * share of each head turn by frequency i (GLM-4-0414, ChatGLM; {@link io.jtune.nn.Rope#forwardInterleaved}).
     */
    ROTARY_INTERLEAVED,
    /**
     * Learned absolute positions: a position embedding (GPT-2's wpe, role POSITION_EMBEDDING) added to
     * the token embeddings; attention itself sees no positions.
     */
    LEARNED,
    /**
     * ALiBi (BLOOM): a per-head linear bias slope·(key position) added to the attention scores
     * ({@link io.jtune.nn.Alibi}); no rotation, no position embedding.
     */
    ALIBI
}
