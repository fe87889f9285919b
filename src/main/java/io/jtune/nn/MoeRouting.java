package io.jtune.nn;

/**
 * The router of a sparse Mixture-of-Experts block, after its linear layer: per token, a softmax over
 * the experts' logits (in fp32, as transformers computes it), the top k probabilities with their
 * experts (largest first), and, where the family renormalises (Mixtral; Qwen with norm_topk_prob),
 * those k divided by their sum. The chosen experts' outputs are summed with these weights.
 *
 * <p>Backward takes the gradient at the k weights (and, for the router aux loss, an optional gradient
 * at all probabilities) to the gradient at the logits. The choice of experts itself is a step
 * function and is not differentiated, as in PyTorch's topk.
 */
public final class MoeRouting {
    private MoeRouting() {}

    /**
     * @param logits   [n x experts] router logits
     * @param probs    out: [n x experts] softmax of the logits
     * @param selected out: [n x k] chosen experts per token, largest probability first (ties: lower index)
     * @param weights  out: [n x k] their routing weights
     * @param sums     out: [n] the sum of the k chosen probabilities (what renormalisation divided by)
     */
    public static void forward(float[] logits, int n, int experts, int k, boolean renormalise,
                               float[] probs, int[] selected, float[] weights, float[] sums) {
        for (int t = 0; t < n; t++) {
            int row = t * experts;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) max = Math.max(max, logits[row + e]);
            float total = 0;
            for (int e = 0; e < experts; e++) {
                float p = Exp.exp(logits[row + e] - max);
                probs[row + e] = p;
                total += p;
            }
            float inv = 1f / total;
            for (int e = 0; e < experts; e++) probs[row + e] *= inv;
            float sum = 0;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (chosenBefore(selected, t * k, j, e)) continue;
                    if (best < 0 || probs[row + e] > probs[row + best]) best = e;
                }
                selected[t * k + j] = best;
                weights[t * k + j] = probs[row + best];
                sum += probs[row + best];
            }
            sums[t] = sum;
            if (renormalise) for (int j = 0; j < k; j++) weights[t * k + j] /= sum;
        }
    }

    private static boolean chosenBefore(int[] selected, int off, int count, int expert) {
        for (int j = 0; j < count; j++) if (selected[off + j] == expert) return true;
        return false;
    }

    /**
     * dLogits = ∂/∂logits of the weights' gradient dWeights [n x k] plus, when non-null, a gradient
     * dProbs [n x experts] at the probabilities themselves (the aux loss's). Overwrites dLogits.
     * With renormalisation w_j = p_j / s (s = Σ chosen p): ∂w_j/∂p_i = (δ_ij − w_j) / s for chosen i.
     * The softmax's backward: dz_e = p_e (dp_e − Σ_i p_i dp_i).
     */
    public static void backward(float[] dWeights, float[] dProbs, float[] probs, int[] selected, float[] weights,
                                float[] sums, int n, int experts, int k, boolean renormalise, float[] dLogits) {
        for (int t = 0; t < n; t++) {
            int row = t * experts;
            for (int e = 0; e < experts; e++) dLogits[row + e] = dProbs == null ? 0f : dProbs[row + e];
            float weighted = 0;   // Σ_j dw_j w_j, renormalisation's shared term
            if (renormalise) for (int j = 0; j < k; j++) weighted += dWeights[t * k + j] * weights[t * k + j];
            for (int j = 0; j < k; j++) {
                float dw = dWeights[t * k + j];
                dLogits[row + selected[t * k + j]] += renormalise ? (dw - weighted) / sums[t] : dw;
            }
            float dot = 0;
            for (int e = 0; e < experts; e++) dot += probs[row + e] * dLogits[row + e];
            for (int e = 0; e < experts; e++) dLogits[row + e] = probs[row + e] * (dLogits[row + e] - dot);
        }
    }
}
