package io.jtune.train.objective;

/**
 * GRPO's advantages (TRL's GRPOTrainer): each completion's reward minus the mean reward of its group
 * (the completions of the same prompt), divided by a standard deviation plus 1e-4 — the group's
 * (scale_rewards group), the whole batch's (batch) — or not divided (none). Standard deviations are
 * the unbiased ones (n − 1), as torch.std computes them.
 */
public final class GroupAdvantages {
    /** How the centred rewards are scaled. */
    public enum Scale {
        GROUP, BATCH, NONE;

        public static Scale of(String name) {
            return switch (name) {
                case "group" -> GROUP;
                case "batch" -> BATCH;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException("scale_rewards: '" + name + "' is not one of group, batch, none");
            };
        }
    }

    /**
     * @param advantages one per completion
     * @param stds       per completion, the std that scaled it (the group's for group and none, the batch's for batch): what
     *                   TRL logs as reward_std, averaged
     */
    public record Result(double[] advantages, double[] stds) {
        /** The mean of {@link #stds}: the logged reward_std. */
        public double meanStd() {
            double s = 0;
            for (double v : stds) s += v;
            return s / stds.length;
        }
    }

    private GroupAdvantages() {}

    /** @param rewards the completions' rewards, group after group, {@code groupSize} each */
    public static Result compute(double[] rewards, int groupSize, Scale scale) {
        if (groupSize < 2 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + groupSize + " (at least 2)");
        }
        double[] advantages = new double[rewards.length];
        double[] stds = new double[rewards.length];
        double batchStd = std(rewards, 0, rewards.length);
        for (int start = 0; start < rewards.length; start += groupSize) {
            double mean = 0;
            for (int i = start; i < start + groupSize; i++) mean += rewards[i];
            mean /= groupSize;
            double std = scale == Scale.BATCH ? batchStd : std(rewards, start, start + groupSize);
            for (int i = start; i < start + groupSize; i++) {
                double centred = rewards[i] - mean;
                advantages[i] = scale == Scale.NONE ? centred : centred / (std + 1e-4);
                stds[i] = std;
            }
        }
        return new Result(advantages, stds);
    }

    /** The unbiased standard deviation of values[from, to). */
    static double std(double[] values, int from, int to) {
        int n = to - from;
        double mean = 0;
        for (int i = from; i < to; i++) mean += values[i];
        mean /= n;
        double ss = 0;
        for (int i = from; i < to; i++) ss += (values[i] - mean) * (values[i] - mean);
        return n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN;
    }
}
