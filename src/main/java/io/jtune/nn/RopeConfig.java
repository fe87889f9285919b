package io.jtune.nn;

/**
 * RoPE parameters: theta plus optional scaling (type "default", "linear", "dynamic", "llama3", ...),
 * as config.json's rope_theta and rope_scaling give them.
 */
public record RopeConfig(
        double theta,
        String type,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    public static RopeConfig plain(double theta) {
        return new RopeConfig(theta, "default", 1.0, 1.0, 4.0, 8192);
    }
}
