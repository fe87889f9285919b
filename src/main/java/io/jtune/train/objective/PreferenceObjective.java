package io.jtune.train.objective;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Stage dpo's objective: a preference loss on pairs of answers to one prompt, as TRL's DPOTrainer
 * and LLaMA-Factory's CustomDPOTrainer define it (pref_loss sigmoid, hinge, ipo, orpo, simpo).
 *
 * <p>A batch of n pairs has 2n rows: the chosen answers in rows 0..n-1, the rejected ones in rows
 * n..2n-1 (the pairwise collator's order), the prompt masked with -100. A response's log-probability
 * is the sum of its label tokens' log-probabilities for sigmoid and hinge and their mean for ipo, orpo
 * and simpo, the reference's too. With c, r the policy's chosen and rejected log-probabilities, c₀, r₀
 * the reference's and z = (c − r) − (c₀ − r₀):
 * <ul>
 *   <li>sigmoid: −logσ(βz)(1 − ε) − logσ(−βz)ε (ε = dpo_label_smoothing)</li>
 *   <li>hinge: relu(1 − βz)</li>
 *   <li>ipo: (z − 1/(2β))²</li>
 *   <li>orpo (no reference): −c + β·(−logσ(log_odds)), log_odds = (c − r) − (log(1 − eᶜ) − log(1 − eʳ))</li>
 *   <li>simpo (no reference): −logσ(β(c − r) − γ)</li>
 * </ul>
 * pref_ftx adds pref_ftx × (−the chosen answer's mean log-probability). ld_alpha (LD-DPO) weighs the
 * policy's label tokens past the shorter answer's length (counted from the first label position) by
 * ld_alpha. The loss is a sum over pairs; the trainer averages it over the pairs of a window.
 *
 * <p>Metrics, averaged over pairs: rewards/chosen β(c − c₀) (βc without a reference),
 * rewards/rejected, rewards/accuracies (chosen reward strictly above rejected), rewards/margins,
 * logps/chosen c, logps/rejected r; logits/chosen and logits/rejected, the mean logit over the label
 * positions of the chosen (rejected) answers and the whole vocabulary (TRL's definition; averaged
 * over those tokens); orpo adds sft_loss (−c) and odds_ratio_loss (−logσ(log_odds)).
 */
public final class PreferenceObjective implements Objective {
    /** pref_loss. */
    public enum LossType {
        SIGMOID, HINGE, IPO, ORPO, SIMPO;

        /** The pref_loss value that names this loss. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static LossType of(String key) {
            for (LossType t : values()) if (t.key().equals(key)) return t;
            throw new JtuneException("pref_loss: '" + key + "' is not supported; use sigmoid, hinge, ipo, orpo or simpo");
        }

        /** Whether the loss compares with a reference model (all but orpo and simpo). */
        public boolean usesReference() {
            return this != ORPO && this != SIMPO;
        }

        /** Whether responses are scored by their mean token log-probability rather than the sum. */
        public boolean averaged() {
            return this == IPO || this == ORPO || this == SIMPO;
        }
    }

    /**
     * The preference keys.
     *
     * @param ldAlpha LD-DPO's weight of the tokens past the shorter answer, or null (off)
     */
    public record Settings(LossType loss, double beta, double labelSmoothing, double ftx, double simpoGamma, Double ldAlpha) {
        public Settings {
            if (!(beta > 0)) throw new JtuneException("pref_beta: must be positive, got " + beta);
        }
    }

    /** What the objective needs besides the policy's own pass. */
    public interface Passes {
        /** The reference model's summed label log-probability of each row of the batch, without gradients. */
        double[] referenceLogProbs(Batch batch);

        /** The mean of the policy's LM head rows (see {@code CausalLM.lmHeadRowMean}), for the logits metrics. */
        double[] lmHeadRowMean();
    }

    private final Settings settings;
    private final Passes passes;
    private Batch preparedFor;
    private double[] reference;
    private double[] headMean;

    public PreferenceObjective(Settings settings, Passes passes) {
        this.settings = settings;
        this.passes = passes;
    }

    public Settings settings() {
        return settings;
    }

    /** Pairs: half the rows. */
    @Override
    public double normaliser(Batch batch) {
        return pairs(batch);
    }

    /** Pairs: one example each. */
    @Override
    public int examples(Batch batch) {
        return pairs(batch);
    }

    /** Every label position: the logits metrics read the final hidden state there. */
    @Override
    public int[] hiddenPositions(Batch batch) {
        int[] labels = batch.labels();
        int len = batch.seqLen(), count = 0;
        for (int t = 0; t < batch.tokens(); t++) if (predicts(labels, t, len)) count++;
        int[] positions = new int[count];
        int i = 0;
        for (int t = 0; t < batch.tokens(); t++) if (predicts(labels, t, len)) positions[i++] = t;
        return positions;
    }

    private static boolean predicts(int[] labels, int t, int len) {
        return t % len + 1 < len && labels[t + 1] != Batch.IGNORE_INDEX;
    }

    @Override
    public void prepare(Batch batch) {
        pairs(batch);
        reference = settings.loss().usesReference() ? passes.referenceLogProbs(batch) : null;
        headMean = passes.lmHeadRowMean();
        preparedFor = batch;
    }

    @Override
    public Loss loss(ForwardOutput out) {
        Batch batch = out.batch();
        if (batch != preparedFor) throw new IllegalStateException("prepare(batch) must precede the pass whose loss is asked");
        int n = pairs(batch), len = batch.seqLen();
        LossType type = settings.loss();
        double beta = settings.beta();
        int[] counts = out.sequenceTokens();
        for (int row = 0; row < counts.length; row++) {
            if (counts[row] == 0) {
                throw new JtuneException("a preference pair has an empty " + (row < n ? "chosen" : "rejected")
                        + " answer after cutoff_len; raise cutoff_len or shorten the prompts");
            }
        }
        double[] tokenWeight = tokenWeights(out, n);
        double[] lp = out.tokenLogProbs();
        double[] policy = new double[2 * n];
        for (int t = 0; t < lp.length; t++) if (out.hasLabel(t)) policy[t / len] += tokenWeight[t] * lp[t];
        double[] ref = reference == null ? null : reference.clone();
        if (type.averaged()) {
            for (int row = 0; row < 2 * n; row++) {
                policy[row] /= counts[row];
                if (ref != null) ref[row] /= counts[row];
            }
        }
        double[] dRow = new double[2 * n];   // ∂loss/∂(row's scored log-probability)
        Map<String, Metric> metrics = new HashMap<>();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double c = policy[i], r = policy[n + i];
            double dc, dr, loss, chosenReward, rejectedReward;
            if (type.usesReference()) {
                double c0 = ref[i], r0 = ref[n + i];
                double z = (c - r) - (c0 - r0), dz;
                switch (type) {
                    case SIGMOID -> {
                        double u = beta * z, eps = settings.labelSmoothing();
                        loss = softplus(-u) * (1 - eps) + softplus(u) * eps;
                        dz = beta * (-sigmoid(-u) * (1 - eps) + sigmoid(u) * eps);
                    }
                    case HINGE -> {
                        double u = beta * z;
                        loss = Math.max(0, 1 - u);
                        dz = 1 - u > 0 ? -beta : 0;
                    }
                    case IPO -> {
                        double d = z - 1 / (2 * beta);
                        loss = d * d;
                        dz = 2 * d;
                    }
                    default -> throw new IllegalStateException(type.key());
                }
                dc = dz;
                dr = -dz;
                chosenReward = beta * (c - c0);
                rejectedReward = beta * (r - r0);
            } else if (type == LossType.ORPO) {
                double logOdds = (c - r) - (log1mExp(c) - log1mExp(r));
                double oddsRatioLoss = softplus(-logOdds);
                loss = -c + beta * oddsRatioLoss;
                double dLogOdds = -beta * sigmoid(-logOdds);
                // d log_odds/dc = 1 + eᶜ/(1 − eᶜ) = −1/expm1(c); d log_odds/dr = 1/expm1(r)
                dc = -1 + dLogOdds * (-1 / Math.expm1(c));
                dr = dLogOdds * (1 / Math.expm1(r));
                add(metrics, "sft_loss", -c);
                add(metrics, "odds_ratio_loss", oddsRatioLoss);
                chosenReward = beta * c;
                rejectedReward = beta * r;
            } else {
                double u = beta * (c - r) - settings.simpoGamma();
                loss = softplus(-u);
                dc = -beta * sigmoid(-u);
                dr = -dc;
                chosenReward = beta * c;
                rejectedReward = beta * r;
            }
            if (settings.ftx() > 1e-6) {
                // the SFT term always uses the chosen answer's mean log-probability
                double perC = type.averaged() ? 1 : 1.0 / counts[i];
                loss += settings.ftx() * -(c * perC);
                dc += settings.ftx() * -perC;
            }
            sum += loss;
            dRow[i] = dc;
            dRow[n + i] = dr;
            add(metrics, "rewards/chosen", chosenReward);
            add(metrics, "rewards/rejected", rejectedReward);
            add(metrics, "rewards/accuracies", chosenReward > rejectedReward ? 1 : 0);
            add(metrics, "rewards/margins", chosenReward - rejectedReward);
            add(metrics, "logps/chosen", c);
            add(metrics, "logps/rejected", r);
        }
        float[] d = new float[lp.length];
        for (int t = 0; t < lp.length; t++) {
            if (!out.hasLabel(t)) continue;
            int row = t / len;
            d[t] = (float) (dRow[row] * tokenWeight[t] / (type.averaged() ? counts[row] : 1));
        }
        addLogitMetrics(out, n, metrics);
        return new Loss(sum, metrics, d, null);
    }

    /** 1 per label token; with ld_alpha, ld_alpha for the policy's tokens past the pair's shorter answer. */
    private double[] tokenWeights(ForwardOutput out, int n) {
        int len = out.batch().seqLen();
        double[] w = new double[out.tokenLogProbs().length];
        java.util.Arrays.fill(w, 1);
        if (settings.ldAlpha() == null) return w;
        int[] counts = out.sequenceTokens();
        for (int row = 0; row < 2 * n; row++) {
            int pair = row % n;
            int shorter = Math.min(counts[pair], counts[n + pair]);
            int start = -1;
            for (int p = 0; p < len && start < 0; p++) if (out.hasLabel(row * len + p)) start = p;
            for (int p = Math.max(start, 0) + shorter; p < len; p++) w[row * len + p] = settings.ldAlpha();
        }
        return w;
    }

    /** logits/chosen and logits/rejected: the mean logit of each label position (h·mean row) pooled per side. */
    private void addLogitMetrics(ForwardOutput out, int n, Map<String, Metric> metrics) {
        int[] positions = out.hiddenPositions();
        float[] hidden = out.hidden();
        if (positions == null || hidden == null || headMean == null) return;
        int h = headMean.length, len = out.batch().seqLen();
        double[] sums = new double[2], counts = new double[2];
        for (int i = 0; i < positions.length; i++) {
            double dot = 0;
            for (int j = 0; j < h; j++) dot += hidden[i * h + j] * headMean[j];
            int side = positions[i] / len < n ? 0 : 1;
            sums[side] += dot;
            counts[side]++;
        }
        metrics.put("logits/chosen", Metric.of(sums[0], counts[0]));
        metrics.put("logits/rejected", Metric.of(sums[1], counts[1]));
    }

    private static void add(Map<String, Metric> metrics, String name, double value) {
        metrics.merge(name, Metric.of(value, 1), Metric::plus);
    }

    private static int pairs(Batch batch) {
        if (batch.batchSize() % 2 != 0) {
            throw new IllegalArgumentException("a preference batch has chosen and rejected rows, an even count; got " + batch.batchSize());
        }
        return batch.batchSize() / 2;
    }

    /** log(1 + eˣ), without overflow. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** log(1 − eˣ) for x &lt; 0. */
    static double log1mExp(double x) {
        return x < -0.6931471805599453 ? Math.log1p(-Math.exp(x)) : Math.log(-Math.expm1(x));
    }
}
