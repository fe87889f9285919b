package io.jtune.train.objective;

import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;
import java.util.HashMap;
import java.util.Map;

/**
 * GRPO's clipped surrogate (TRL's GRPOTrainer.compute_loss) over rollout rows: for each completion
 * token, ρ = exp(log p − log p_old) and the loss −min(ρA, clip(ρ, 1 − ε, 1 + ε_high)A), plus
 * β·(exp(r − log p) − (r − log p) − 1) (the k3 estimate of the KL to the reference r) when β > 0.
 * A row's label tokens are its completion; A is the row's advantage.
 *
 * <p>How the token losses are aggregated follows loss_type as TRL defines it, per micro-batch of
 * B rows: grpo averages each row over its tokens and the rows; bnpo averages over the micro-batch's
 * tokens; dr_grpo divides the sum by B × max_completion_length; these three are then averaged over
 * the step's micro-batches (the trainer's normaliser is 1 per micro-batch). dapo divides the sum by
 * the completion tokens of the whole step (the normaliser is the micro-batch's tokens).
 *
 * <p>With one iteration per rollout batch the old log-probabilities are the current ones, detached
 * (ρ = 1 exactly, as TRL does); otherwise they come from the training forward at rollout time.
 *
 * <p>All log-probabilities — the policy's, the old and the reference's — are those of the logits
 * divided by the sampling temperature, log softmax(z / temperature), as TRL's GRPOTrainer computes
 * them: the distribution the completions were drawn from (before top_p and top_k, which TRL does
 * not account for either). The rollouts' old and reference log-probabilities must be computed with
 * the same temperature.
 */
public final class GrpoObjective implements Objective {
    public enum LossType {
        GRPO, BNPO, DR_GRPO, DAPO;

        public static LossType of(String name) {
            return switch (name) {
                case "grpo" -> GRPO;
                case "bnpo" -> BNPO;
                case "dr_grpo" -> DR_GRPO;
                case "dapo" -> DAPO;
                default -> throw new IllegalArgumentException("loss_type: '" + name + "' is not one of grpo, bnpo, dr_grpo, dapo");
            };
        }
    }

    /** @param temperature the sampling temperature, which divides the logits of every pass (1: none) */
    public record Settings(LossType lossType, double epsilon, double epsilonHigh, double beta, int maxCompletionLength,
                           double temperature) {
        public Settings {
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature: grpo divides the logits by it and needs a positive number, was " + temperature);
            }
        }
    }

    /**
     * What the rollouts know of a batch's rows.
     *
     * @param advantages  one per row
     * @param oldLogProbs per flat position, the log-probabilities at rollout time; null: the current ones, detached
     * @param refLogProbs per flat position, the reference's; null when beta is 0
     * @param metrics     the rollouts' own metrics logged with this batch (reward, ...), or empty
     */
    public record RolloutRows(double[] advantages, double[] oldLogProbs, double[] refLogProbs, Map<String, Metric> metrics) {}

    /** Finds the rollout rows of a batch. */
    @FunctionalInterface
    public interface Rollouts {
        RolloutRows rows(Batch batch);
    }

    private final Settings settings;
    private final Rollouts rollouts;

    public GrpoObjective(Settings settings, Rollouts rollouts) {
        this.settings = settings;
        this.rollouts = rollouts;
    }

    @Override
    public float logitTemperature() {
        return (float) settings.temperature();
    }

    @Override
    public double normaliser(Batch batch) {
        return settings.lossType() == LossType.DAPO ? TokenCrossEntropy.labelTokens(batch) : 1;
    }

    @Override
    public Loss loss(ForwardOutput out) {
        Batch batch = out.batch();
        RolloutRows rows = rollouts.rows(batch);
        int rowsCount = batch.batchSize(), seqLen = batch.seqLen();
        double[] logProbs = out.tokenLogProbs();
        int[] rowTokens = out.sequenceTokens();
        int tokens = 0;
        for (int n : rowTokens) tokens += n;
        float[] d = new float[logProbs.length];
        double sum = 0, klSum = 0;
        int lowClipped = 0, highClipped = 0;
        double lowBound = 1 - settings.epsilon(), highBound = 1 + settings.epsilonHigh();
        for (int t = 0; t < logProbs.length; t++) {
            if (!out.hasLabel(t)) continue;
            int row = t / seqLen;
            double a = rows.advantages()[row];
            double lp = logProbs[t];
            double old = rows.oldLogProbs() == null ? lp : rows.oldLogProbs()[t];
            double ratio = Math.exp(lp - old);
            double clippedRatio = Math.min(Math.max(ratio, lowBound), highBound);
            double loss = -Math.min(ratio * a, clippedRatio * a);
            boolean low = ratio < lowBound && a < 0, high = ratio > highBound && a > 0;
            if (low) lowClipped++;
            if (high) highClipped++;
            // where the clipped term is the smaller one it is constant in log p; elsewhere ∂(−ρA)/∂log p = −ρA
            double dLoss = low || high ? 0 : -ratio * a;
            if (settings.beta() != 0) {
                double delta = rows.refLogProbs()[t] - lp;
                double kl = Math.exp(delta) - delta - 1;
                loss += settings.beta() * kl;
                dLoss += settings.beta() * (1 - Math.exp(delta));
                klSum += kl;
            }
            double w = weight(rowTokens[row], tokens, rowsCount);
            sum += w * loss;
            d[t] = (float) (w * dLoss);
        }
        Map<String, Metric> metrics = new HashMap<>(rows.metrics());
        if (settings.beta() != 0) metrics.put("kl", Metric.of(klSum, tokens));
        metrics.put("clip_ratio/low_mean", Metric.of(lowClipped, tokens));
        metrics.put("clip_ratio/high_mean", Metric.of(highClipped, tokens));
        metrics.put("clip_ratio/region_mean", Metric.of(lowClipped + highClipped, tokens));
        metrics.put("clip_ratio", Metric.of(lowClipped + highClipped, tokens));
        return new Loss(sum, metrics, d, null);
    }

    /** The weight of one token's loss in the micro-batch's loss, by loss_type. */
    private double weight(int rowTokens, int batchTokens, int rows) {
        return switch (settings.lossType()) {
            case GRPO -> 1.0 / (Math.max(1, rowTokens) * (double) rows);
            case BNPO -> 1.0 / Math.max(1, batchTokens);
            case DR_GRPO -> 1.0 / ((double) rows * settings.maxCompletionLength());
            case DAPO -> 1.0;
        };
    }
}
