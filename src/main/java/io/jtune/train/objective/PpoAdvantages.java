package io.jtune.train.objective;

/**
 * What PPO makes of a batch of rollouts before it trains on them (TRL's PPOTrainer.compute_rewards and
 * compute_advantages): for each response token t of a row, the KL estimate k_t = log p_t − log p_ref,t
 * (log-probabilities of the policy at rollout time and of the reference), the reward
 * r_t = −kl_coef·k_t, plus the row's score at its last token; with whiten_rewards the rewards are
 * rescaled over all the batch's response tokens (mean kept); then generalised advantage estimation
 * <pre>
 *   δ_t = r_t + γ·V_{t+1} − V_t   (V after the last token is 0)
 *   A_t = δ_t + γ·λ·A_{t+1},      return_t = A_t + V_t
 * </pre>
 * and the advantages whitened over the batch's response tokens. Rows are given as arrays over their
 * response tokens. (TRL whitens the rewards on its padded tensor, where padding after a short response
 * leaks into its advantages; here only response tokens count.)
 */
public final class PpoAdvantages {
    public record Settings(double gamma, double lam, boolean whitenRewards) {}

    /**
     * @param advantages per row and response token, whitened
     * @param returns    per row and response token
     * @param kls        per row and response token, log p − log p_ref
     * @param nonScoreRewards per row and response token, −kl_coef·kl
     */
    public record Result(double[][] advantages, double[][] returns, double[][] kls, double[][] nonScoreRewards) {}

    private PpoAdvantages() {}

    /**
     * @param scores     one per row (already normalised when ppo_score_norm is on)
     * @param logProbs   per row, the policy's log-probabilities of its response tokens at rollout time
     * @param refLogProbs per row, the reference's
     * @param values     per row, the value of each response token's predicting position at rollout time
     */
    public static Result compute(double[] scores, double[][] logProbs, double[][] refLogProbs, double[][] values, double klCoef,
                                 Settings settings) {
        int rows = scores.length;
        double[][] kls = new double[rows][], nonScore = new double[rows][], rewards = new double[rows][];
        for (int i = 0; i < rows; i++) {
            int n = logProbs[i].length;
            kls[i] = new double[n];
            nonScore[i] = new double[n];
            rewards[i] = new double[n];
            for (int t = 0; t < n; t++) {
                kls[i][t] = logProbs[i][t] - refLogProbs[i][t];
                nonScore[i][t] = -klCoef * kls[i][t];
                rewards[i][t] = nonScore[i][t];
            }
            if (n > 0) rewards[i][n - 1] += scores[i];
        }
        if (settings.whitenRewards()) rewards = unflatten(Moments.whiten(flatten(rewards), false), rewards);
        double[][] advantages = new double[rows][], returns = new double[rows][];
        for (int i = 0; i < rows; i++) {
            int n = rewards[i].length;
            advantages[i] = new double[n];
            returns[i] = new double[n];
            double next = 0, last = 0;
            for (int t = n - 1; t >= 0; t--) {
                double delta = rewards[i][t] + settings.gamma() * next - values[i][t];
                last = delta + settings.gamma() * settings.lam() * last;
                advantages[i][t] = last;
                returns[i][t] = last + values[i][t];
                next = values[i][t];
            }
        }
        advantages = unflatten(Moments.whiten(flatten(advantages), true), advantages);
        return new Result(advantages, returns, kls, nonScore);
    }

    static double[] flatten(double[][] rows) {
        int n = 0;
        for (double[] r : rows) n += r.length;
        double[] flat = new double[n];
        int k = 0;
        for (double[] r : rows) {
            System.arraycopy(r, 0, flat, k, r.length);
            k += r.length;
        }
        return flat;
    }

    static double[][] unflatten(double[] flat, double[][] shape) {
        double[][] out = new double[shape.length][];
        int k = 0;
        for (int i = 0; i < shape.length; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, k, k + shape[i].length);
            k += shape[i].length;
        }
        return out;
    }
}
