package io.jtune.train.objective;

import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;
import io.jtune.model.ValueHead;
import java.util.HashMap;
import java.util.Map;

/**
 * PPO's policy and value losses (TRL's PPOTrainer.loss, which LLaMA-Factory's stage ppo runs) over one
 * micro-batch of rollout rows. Each response token t has, from the rollout: its old log-probability,
 * its old value, its (whitened) advantage A and its return R ({@link PpoAdvantages}). With the current
 * log-probability and value V (the value head on the final hidden state at the position that predicts t):
 * <pre>
 *   ρ = exp(log p − log p_old)
 *   policy loss = mean_t max(−Aρ, −A·clip(ρ, 1 − cliprange, 1 + cliprange))
 *   value loss  = ½ · mean_t max((V − R)², (clip(V, V_old ± cliprange_value) − R)²)
 *   loss        = policy loss + vf_coef · value loss
 * </pre>
 * the means over the micro-batch's response tokens. As TRL, a micro-batch whose mean ratio exceeds
 * ratio_threshold (10) is skipped: its loss and gradients are zero. The trainer's normaliser is 1 per
 * micro-batch, so an optimizer step averages its micro-batches, as accelerate's gradient accumulation does.
 *
 * <p>The log-probabilities (the policy's now, the rollout's old ones and the reference's) are those of the
 * logits divided by the sampling temperature, log softmax(z / temperature), as TRL's current PPOTrainer
 * computes them (LLaMA-Factory's ppo, over TRL 0.9, takes them from the logits as they are: docs/rl.md says
 * why jtune follows TRL). The value head reads the hidden states and is not affected.
 *
 * <p>Metrics carry TRL's names (ppo/loss/policy, ppo/loss/value — the value loss before vf_coef —,
 * ppo/loss/total, ppo/policy/clipfrac, ppo/val/clipfrac, ...), one value per micro-batch; the rollout's own
 * metrics (reward, objective/kl, ...) come with the first micro-batch of each optimizer step.
 */
public final class PpoObjective implements Objective {
    /** TRL's PPOConfig.ratio_threshold: a micro-batch whose mean ratio is above it is skipped. */
    public static final double RATIO_THRESHOLD = 10.0;

    /** @param temperature the sampling temperature, which divides the logits of every pass (1: none, and greedy rollouts) */
    public record Settings(double cliprange, double cliprangeValue, double vfCoef, double temperature) {
        public Settings {
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature: ppo divides the logits by it and needs a positive number, was " + temperature);
            }
        }
    }

    /**
     * What the rollout knows of a micro-batch's rows, per flat position of the batch (meaningful where the
     * position predicts a response token, as {@link ForwardOutput#tokenLogProbs()} is laid out).
     *
     * @param metrics the rollout's metrics logged with this micro-batch, or empty
     */
    public record RolloutRows(double[] oldLogProbs, double[] oldValues, double[] advantages, double[] returns,
                              Map<String, Metric> metrics) {}

    /** Finds the rollout rows of a batch. */
    @FunctionalInterface
    public interface Rollouts {
        RolloutRows rows(Batch batch);
    }

    private final Settings settings;
    private final ValueHead head;
    private final Rollouts rollouts;

    public PpoObjective(Settings settings, ValueHead head, Rollouts rollouts) {
        if (head == null) throw new IllegalArgumentException("stage ppo needs a policy built with a value head");
        this.settings = settings;
        this.head = head;
        this.rollouts = rollouts;
    }

    @Override
    public float logitTemperature() {
        return (float) settings.temperature();
    }

    @Override
    public double normaliser(Batch batch) {
        return 1;
    }

    /** The positions that predict a response token: where the values are read. */
    @Override
    public int[] hiddenPositions(Batch batch) {
        return predictingPositions(batch);
    }

    /** The flat positions t whose next token (labels[t + 1] of the same row) is a label, in order. */
    public static int[] predictingPositions(Batch batch) {
        int len = batch.seqLen();
        int count = 0;
        for (int r = 0; r < batch.batchSize(); r++) {
            for (int t = 0; t + 1 < len; t++) if (batch.labels()[r * len + t + 1] != Batch.IGNORE_INDEX) count++;
        }
        int[] positions = new int[count];
        int k = 0;
        for (int r = 0; r < batch.batchSize(); r++) {
            for (int t = 0; t + 1 < len; t++) if (batch.labels()[r * len + t + 1] != Batch.IGNORE_INDEX) positions[k++] = r * len + t;
        }
        return positions;
    }

    @Override
    public Loss loss(ForwardOutput out) {
        RolloutRows rows = rollouts.rows(out.batch());
        int[] positions = out.hiddenPositions();
        int n = positions.length, hidden = head.hidden();
        float[] h = out.hidden();
        double[] logProbs = out.tokenLogProbs();
        double lo = 1 - settings.cliprange(), hi = 1 + settings.cliprange();
        double[] dLogProb = new double[n], dValue = new double[n];
        double pgSum = 0, vfSum = 0, pgClipped = 0, vfClipped = 0, ratioSum = 0, approxKl = 0, policyKl = 0;
        double advSum = 0, vpredSum = 0, errorSum = 0;
        double[] returns = new double[n], oldValues = new double[n];
        for (int k = 0; k < n; k++) {
            int t = positions[k];
            double lp = logProbs[t], old = rows.oldLogProbs()[t], a = rows.advantages()[t], ret = rows.returns()[t];
            double v = head.score(h, k * hidden), vOld = rows.oldValues()[t];
            // the value loss: the clipped value keeps within cliprange_value of the rollout's value
            double vClipped = Math.min(Math.max(v, vOld - settings.cliprangeValue()), vOld + settings.cliprangeValue());
            double l1 = (v - ret) * (v - ret), l2 = (vClipped - ret) * (vClipped - ret);
            vfSum += Math.max(l1, l2);
            if (l2 > l1) vfClipped++;
            // where the clipped square is the larger, V lies outside the clip range and the loss is constant in V
            dValue[k] = l2 > l1 ? 0 : v - ret;
            // the policy loss
            double ratio = Math.exp(lp - old);
            double pg1 = -a * ratio, pg2 = -a * Math.min(Math.max(ratio, lo), hi);
            pgSum += Math.max(pg1, pg2);
            if (pg2 > pg1) pgClipped++;
            dLogProb[k] = pg2 > pg1 ? 0 : -a * ratio;   // ∂(−Aρ)/∂log p = −Aρ; the clipped branch is constant
            ratioSum += ratio;
            approxKl += 0.5 * (lp - old) * (lp - old);
            policyKl += old - lp;
            advSum += a;
            vpredSum += v;
            errorSum += (v - ret) * (v - ret);
            returns[k] = ret;
            oldValues[k] = vOld;
        }
        double pgLoss = n == 0 ? 0 : pgSum / n, vfLoss = n == 0 ? 0 : 0.5 * vfSum / n;
        boolean skipped = n > 0 && ratioSum / n > RATIO_THRESHOLD;
        if (skipped) {
            pgLoss = 0;
            vfLoss = 0;
        }
        double total = pgLoss + settings.vfCoef() * vfLoss;
        float[] dLogProbs = new float[logProbs.length];
        float[] dHidden = new float[n * hidden];
        double[] dScore = new double[n];
        if (!skipped && n > 0) {
            for (int k = 0; k < n; k++) {
                dLogProbs[positions[k]] = (float) (dLogProb[k] / n);
                dScore[k] = settings.vfCoef() * dValue[k] / n;   // ∂(vf_coef · ½ · mean (V − R)²)/∂V
                head.addHiddenGradient(dScore[k], dHidden, k * hidden);
            }
        }
        Loss.OwnGradients own = scale -> {
            for (int k = 0; k < n; k++) if (dScore[k] != 0) head.addParameterGradient(scale * dScore[k], h, k * hidden);
        };

        Map<String, Metric> metrics = new HashMap<>(rows.metrics());
        if (n > 0) {
            metrics.put("ppo/loss/policy", Metric.of(pgLoss, 1));
            metrics.put("ppo/loss/value", Metric.of(vfLoss, 1));
            metrics.put("ppo/loss/total", Metric.of(total, 1));
            metrics.put("ppo/policy/approxkl", Metric.of(approxKl / n, 1));
            metrics.put("ppo/policy/policykl", Metric.of(policyKl / n, 1));
            metrics.put("ppo/policy/clipfrac", Metric.of(pgClipped / n, 1));
            metrics.put("ppo/policy/advantages_mean", Metric.of(advSum / n, 1));
            metrics.put("ppo/returns/mean", Metric.of(Moments.mean(returns), 1));
            metrics.put("ppo/returns/var", Metric.of(Moments.unbiasedVariance(returns), 1));
            metrics.put("ppo/val/vpred", Metric.of(vpredSum / n, 1));
            metrics.put("ppo/val/error", Metric.of(errorSum / n, 1));
            metrics.put("ppo/val/clipfrac", Metric.of(vfClipped / n, 1));
            metrics.put("ppo/val/mean", Metric.of(Moments.mean(oldValues), 1));
            metrics.put("ppo/val/var", Metric.of(Moments.unbiasedVariance(oldValues), 1));
        }
        return new Loss(total, metrics, dLogProbs, dHidden, own);
    }
}
