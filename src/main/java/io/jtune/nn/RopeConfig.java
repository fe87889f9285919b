package io.jtune.nn;

/**
 * RoPE parameters: theta plus optional scaling (type "default", "linear", "dynamic", "llama3",
 * "longrope"), as config.json's rope_theta and rope_scaling give them.
 *
 * @param shortFactor     LongRoPE's per-frequency divisors while a forward's positions stay within
 *                        originalMaxPositionEmbeddings (null for other types)
 * @param longFactor      LongRoPE's divisors once a position reaches beyond it (null for other types)
 * @param attentionFactor what LongRoPE multiplies cos and sin by (1 for other types)
 */
public record RopeConfig(
        double theta,
        String type,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings,
        double[] shortFactor,
        double[] longFactor,
        double attentionFactor) {

    /** A RoPE without LongRoPE's factors. */
    public RopeConfig(double theta, String type, double factor, double lowFreqFactor, double highFreqFactor,
                      int originalMaxPositionEmbeddings) {
        this(theta, type, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings, null, null, 1.0);
    }

    public static RopeConfig plain(double theta) {
        return new RopeConfig(theta, "default", 1.0, 1.0, 4.0, 8192);
    }

    /**
     * LongRoPE (Phi-3's 128k models): inverse frequencies divided per frequency by the short or the
     * long factors, cos and sin multiplied by attentionFactor.
     */
    public static RopeConfig longRope(double theta, double[] shortFactor, double[] longFactor, int originalMaxPositionEmbeddings,
                                      double attentionFactor) {
        return new RopeConfig(theta, "longrope", 1.0, 1.0, 4.0, originalMaxPositionEmbeddings, shortFactor.clone(),
                longFactor.clone(), attentionFactor);
    }

    public boolean isLongRope() {
        return "longrope".equals(type);
    }

    @Override public boolean equals(Object o) {
        return o instanceof RopeConfig r && theta == r.theta && java.util.Objects.equals(type, r.type) && factor == r.factor
                && lowFreqFactor == r.lowFreqFactor && highFreqFactor == r.highFreqFactor
                && originalMaxPositionEmbeddings == r.originalMaxPositionEmbeddings
                && java.util.Arrays.equals(shortFactor, r.shortFactor) && java.util.Arrays.equals(longFactor, r.longFactor)
                && attentionFactor == r.attentionFactor;
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(theta, type, factor, originalMaxPositionEmbeddings, java.util.Arrays.hashCode(shortFactor),
                java.util.Arrays.hashCode(longFactor), attentionFactor);
    }
}
