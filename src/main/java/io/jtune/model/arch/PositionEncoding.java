package io.jtune.model.arch;

/**
 * How a family's attention knows where each token is. Every family jtune runs today rotates q and k
 * (RoPE, with config.json's rope_theta and rope_scaling); learned absolute positions (GPT-2) and
 * ALiBi (BLOOM) would be further constants with their ops in nn/.
 */
public enum PositionEncoding {
    /** Rotary embeddings on q and k, HF's rotate-half convention ({@link io.jtune.nn.Rope}). */
    ROTARY,
    /**
     * Rotary embeddings in GLM's interleaved convention: adjacent pairs (2i, 2i + 1) of the rotated
     * share of each head turn by frequency i (GLM-4-0414, ChatGLM; {@link io.jtune.nn.Rope#forwardInterleaved}).
     */
    ROTARY_INTERLEAVED
}
