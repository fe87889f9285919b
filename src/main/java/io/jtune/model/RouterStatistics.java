package io.jtune.model;

import java.util.Arrays;

/**
 * transformers' load_balancing_loss_func over one forward pass, the router aux loss LLaMA-Factory
 * adds with moe_aux_loss_coef: over the tokens of every sparse layer together (N of them, padding
 * left out), f_e = (tokens whose top k hold expert e) / N and P_e = (Σ of e's router probability) / N,
 * and aux = num_experts · Σ_e f_e · P_e. The choice is not differentiated, so
 * ∂aux/∂p(t, e) = num_experts · f_e / N for every counted token: one number per expert.
 */
final class RouterStatistics {
    private final int experts;
    private final double[] chosen, probability;
    private long tokens;
    boolean[] mask;        // which tokens of the pass count (false: padding); null: all
    float[] gradient;      // ∂(loss)/∂p(t, e) per expert for backward, once the pass's forward is complete

    RouterStatistics(int experts) {
        this.experts = experts;
        this.chosen = new double[experts];
        this.probability = new double[experts];
    }

    void clear() {
        Arrays.fill(chosen, 0);
        Arrays.fill(probability, 0);
        tokens = 0;
    }

    /** Adds one layer's routing of n tokens; mask[t] false leaves token t out (padding). */
    void add(float[] probs, int[] selected, int n, int k) {
        for (int t = 0; t < n; t++) {
            if (mask != null && !mask[t]) continue;
            tokens++;
            for (int j = 0; j < k; j++) chosen[selected[t * k + j]]++;
            for (int e = 0; e < experts; e++) probability[e] += probs[t * experts + e];
        }
    }

    /** The aux loss, num_experts · Σ_e f_e · P_e (0 before any token). */
    double loss() {
        if (tokens == 0) return 0;
        double sum = 0;
        for (int e = 0; e < experts; e++) sum += chosen[e] * probability[e];
        return experts * sum / ((double) tokens * tokens);
    }

    /** ∂(scale · aux)/∂p(t, e) for a counted token t, per expert e. */
    float[] probabilityGradient(double scale) {
        float[] out = new float[experts];
        if (tokens == 0) return out;
        for (int e = 0; e < experts; e++) out[e] = (float) (scale * experts * chosen[e] / ((double) tokens * tokens));
        return out;
    }

    /** Whether token t was counted. */
    boolean counts(int t) {
        return mask == null || mask[t];
    }
}
