package io.jtune.nn;

import io.jtune.JtuneException;

/**
 * Rotary position embedding in HF's rotate-half convention: each head vector is split into halves
 * (x₁, x₂) and rotated pairwise, y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin, with angle
 * position · inv_freq[i]. Rotations are orthogonal, so backward applies the inverse rotation.
 * Positions come per token, so packed sequences can restart at 0.
 */
public final class Rope {
    private Rope() {}

    /**
     * inv_freq[i] = 1 / theta^(2i/headDim), then the configured scaling: "linear" divides by the
     * factor; "llama3" divides low frequencies by the factor and blends the middle band, as HF's
     * _compute_llama3_parameters does. Computed in fp32 like torch.
     */
    public static float[] inverseFrequencies(RopeConfig rope, int headDim) {
        return inverseFrequencies(rope, headDim, false);
    }

    /**
     * The inverse frequencies over the {@code rotaryDim} rotated entries of a head; for LongRoPE, with
     * the long factors when {@code beyondOriginal} (a forward whose largest position + 1 exceeds
     * original_max_position_embeddings, as transformers' dynamic update decides), else the short ones:
     * inv_freq[i] = 1 / (factor[i] · theta^(2i/rotaryDim)).
     */
    public static float[] inverseFrequencies(RopeConfig rope, int rotaryDim, boolean beyondOriginal) {
        int headDim = rotaryDim;
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = (float) (1.0 / (float) StrictMath.pow(rope.theta(), exponent));
        }
        String type = rope.type() == null ? "default" : rope.type();
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < half; i++) inv[i] = inv[i] / (float) rope.factor();
            }
            case "llama3" -> applyLlama3Scaling(inv, rope);
            case "longrope" -> {
                double[] factors = beyondOriginal ? rope.longFactor() : rope.shortFactor();
                if (factors.length != half) {
                    throw new JtuneException("rope_scaling's long_factor and short_factor need " + half
                            + " entries (rotary dimension / 2), found " + factors.length);
                }
                // torch: 1.0 / (ext_factors * base ** (arange(0, dim, 2) / dim)), all in fp32
                for (int i = 0; i < half; i++) {
                    float exponent = (float) (2 * i) / headDim;
                    inv[i] = 1f / ((float) factors[i] * (float) StrictMath.pow(rope.theta(), exponent));
                }
            }
            default -> throw new JtuneException("rope_scaling type '" + type
                    + "' is not supported yet; supported: default, linear, llama3, longrope");
        }
        return inv;
    }

    private static void applyLlama3Scaling(float[] inv, RopeConfig rope) {
        float factor = (float) rope.factor();
        float low = (float) rope.lowFreqFactor(), high = (float) rope.highFreqFactor();
        float oldContext = rope.originalMaxPositionEmbeddings();
        float lowFreqWavelen = oldContext / low;
        float highFreqWavelen = oldContext / high;
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (oldContext / wavelen - low) / (high - low);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }

    /** Fills cos/sin [n x headDim/2] for the given per-token positions. */
    public static void table(float[] invFreq, int[] positions, int n, float[] cos, float[] sin) {
        int half = invFreq.length;
        for (int t = 0; t < n; t++) {
            float p = positions[t];
            for (int i = 0; i < half; i++) {
                float angle = invFreq[i] * p;
                cos[t * half + i] = (float) StrictMath.cos(angle);
                sin[t * half + i] = (float) StrictMath.sin(angle);
            }
        }
    }

    /**
     * Multiplies a filled cos/sin table by {@code scale} (LongRoPE's attention factor, which
     * transformers applies to cos and sin). The scaled rotation s·R is still undone by backward's
     * transposed rotation: (s·R)ᵀ = s·Rᵀ, which the same scaled table gives.
     */
    public static void scaleTable(float[] cos, float[] sin, int length, float scale) {
        if (scale == 1f) return;
        for (int i = 0; i < length; i++) {
            cos[i] *= scale;
            sin[i] *= scale;
        }
    }

    /** Rotates x [n x heads·headDim] in place. */
    public static void forward(float[] x, float[] cos, float[] sin, int n, int heads, int headDim) {
        rotate(x, cos, sin, n, heads, headDim, headDim, 1f);
    }

    /** The inverse rotation applied to the gradient in place: dx = Rᵀ·dy. */
    public static void backward(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim) {
        rotate(dx, cos, sin, n, heads, headDim, headDim, -1f);
    }

    /**
     * Partial rotary (Phi-3's partial_rotary_factor): only the first {@code rotaryDim} entries of each
     * head rotate, in rotate-half pairs (i, i + rotaryDim/2); the rest pass through. The tables are
     * [n x rotaryDim/2].
     */
    public static void forward(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        rotate(x, cos, sin, n, heads, headDim, rotaryDim, 1f);
    }

    /** Partial rotary's backward: the inverse rotation of the rotated entries; the rest pass dx through. */
    public static void backward(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        rotate(dx, cos, sin, n, heads, headDim, rotaryDim, -1f);
    }

    /**
     * GLM's interleaved convention (GLM-4-0414, ChatGLM): the first {@code rotaryDim} entries of each
     * head rotate as adjacent pairs (2i, 2i + 1) with frequency i, y₂ᵢ = x₂ᵢ·cos − x₂ᵢ₊₁·sin,
     * y₂ᵢ₊₁ = x₂ᵢ₊₁·cos + x₂ᵢ·sin; the rest pass through. The tables are [n x rotaryDim/2] as for
     * rotate-half, only the pairing differs.
     */
    public static void forwardInterleaved(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        rotateInterleaved(x, cos, sin, n, heads, headDim, rotaryDim, 1f);
    }

    /** The interleaved rotation's backward: each pair rotated back by its angle (Rᵀ); the rest pass dx through. */
    public static void backwardInterleaved(float[] dx, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim) {
        rotateInterleaved(dx, cos, sin, n, heads, headDim, rotaryDim, -1f);
    }

    private static void rotateInterleaved(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim,
                                          float direction) {
        int half = rotaryDim / 2, width = heads * headDim;
        int chunks = ParallelTasks.rowChunks(n, width);
        ParallelTasks.forEach(chunks, ch -> {
            for (int t = n * ch / chunks, hi = n * (ch + 1) / chunks; t < hi; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = t * width + h * headDim;
                    for (int i = 0; i < half; i++) {
                        float c = cos[t * half + i], s = direction * sin[t * half + i];
                        float x1 = x[o + 2 * i], x2 = x[o + 2 * i + 1];
                        x[o + 2 * i] = x1 * c - x2 * s;
                        x[o + 2 * i + 1] = x2 * c + x1 * s;
                    }
                }
            }
        });
    }

    private static void rotate(float[] x, float[] cos, float[] sin, int n, int heads, int headDim, int rotaryDim,
                               float direction) {
        int half = rotaryDim / 2, width = heads * headDim;
        int chunks = ParallelTasks.rowChunks(n, width);
        ParallelTasks.forEach(chunks, ch -> {
            for (int t = n * ch / chunks, hi = n * (ch + 1) / chunks; t < hi; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = t * width + h * headDim;
                    for (int i = 0; i < half; i++) {
                        float c = cos[t * half + i], s = direction * sin[t * half + i];
                        float x1 = x[o + i], x2 = x[o + half + i];
                        x[o + i] = x1 * c - x2 * s;
                        x[o + half + i] = x2 * c + x1 * s;
                    }
                }
            }
        });
    }
}
