package io.jtune.train.objective;

/**
 * ppo_score_norm (TRL's use_score_scaling with use_score_norm, RunningMoments): the running mean and
 * standard deviation of every score seen so far (Chan et al.'s parallel update of the moments), and each
 * batch's scores normalised by them after they are counted: (s − mean) / (std + ε), ε being float32's machine epsilon.
 */
public final class ScoreNormalizer {
    private static final double EPSILON = Math.ulp(1.0f);
    private double mean = 0, var = 1, std = 1, count = 1e-24;

    /** Counts {@code scores} into the running moments, then returns them normalised. */
    public double[] normalise(double[] scores) {
        int n = scores.length;
        double batchMean = Moments.mean(scores), batchVar = 0;
        for (double s : scores) batchVar += (s - batchMean) * (s - batchMean);
        batchVar /= n;                       // the biased variance of the batch
        double delta = batchMean - mean, total = count + n;
        double oldSum = var * count + delta * delta * count * n / total;
        double totalSum = oldSum + batchVar * n;
        mean += delta * n / total;
        var = totalSum / total;
        std = Math.sqrt(var * total / (total - 1));
        count = total;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = (scores[i] - mean) / (std + EPSILON);
        return out;
    }
}
