package io.jtune.train.objective;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;
import io.jtune.model.ValueHead;
import java.util.Map;

/**
 * Stage rm's objective (LLaMA-Factory's PairwiseTrainer): a {@link ValueHead} scores each answer by
 * its final hidden state at the answer's last token (the last label position: the last non-padding
 * token of the row); the loss of a pair is −logσ(s_chosen − s_rejected), summed here and averaged
 * over the pairs by the trainer. Rows as for dpo: n chosen, then n rejected. Metric: accuracy, the
 * share of pairs whose chosen score is strictly above the rejected one.
 */
public final class RewardObjective implements Objective {
    private final ValueHead head;

    public RewardObjective(ValueHead head) {
        if (head == null) throw new IllegalArgumentException("stage rm needs a model built with a value head");
        this.head = head;
    }

    @Override
    public double normaliser(Batch batch) {
        return pairs(batch);
    }

    @Override
    public int examples(Batch batch) {
        return pairs(batch);
    }

    /** Each row's last label position. */
    @Override
    public int[] hiddenPositions(Batch batch) {
        int len = batch.seqLen();
        int[] last = new int[batch.batchSize()];
        for (int r = 0; r < last.length; r++) {
            last[r] = -1;
            for (int t = len - 1; t >= 0 && last[r] < 0; t--) if (batch.labels()[r * len + t] != Batch.IGNORE_INDEX) last[r] = r * len + t;
            if (last[r] < 0) {
                throw new JtuneException("a preference pair has an empty " + (r < batch.batchSize() / 2 ? "chosen" : "rejected")
                        + " answer after cutoff_len; raise cutoff_len or shorten the prompts");
            }
        }
        return last;
    }

    /** Each row's score (the value at its answer's last token): the n chosen rows', then the n rejected rows'. */
    public double[] scores(ForwardOutput out) {
        int rows = 2 * pairs(out.batch()), hidden = head.hidden();
        double[] scores = new double[rows];
        for (int row = 0; row < rows; row++) scores[row] = head.score(out.hidden(), row * hidden);
        return scores;
    }

    @Override
    public Loss loss(ForwardOutput out) {
        int n = pairs(out.batch()), hidden = head.hidden();
        float[] h = out.hidden();
        double[] scores = scores(out);
        double sum = 0, correct = 0;
        double[] dScore = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double margin = scores[i] - scores[n + i];
            sum += softplus(-margin);
            double g = -sigmoid(-margin);        // ∂(−logσ(m))/∂m
            dScore[i] = g;
            dScore[n + i] = -g;
            if (margin > 0) correct++;
        }
        float[] dHidden = new float[h.length];
        for (int row = 0; row < 2 * n; row++) head.addHiddenGradient(dScore[row], dHidden, row * hidden);
        Loss.OwnGradients own = scale -> {
            for (int row = 0; row < 2 * n; row++) head.addParameterGradient(scale * dScore[row], h, row * hidden);
        };
        return new Loss(sum, Map.of("accuracy", Metric.of(correct, n)), new float[out.tokenLogProbs().length], dHidden, own);
    }

    private static int pairs(Batch batch) {
        if (batch.batchSize() % 2 != 0) {
            throw new IllegalArgumentException("a preference batch has chosen and rejected rows, an even count; got " + batch.batchSize());
        }
        return batch.batchSize() / 2;
    }

    private static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
