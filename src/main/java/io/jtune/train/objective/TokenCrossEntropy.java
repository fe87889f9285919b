package io.jtune.train.objective;

import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;
import java.util.Arrays;
import java.util.Map;

/**
 * Next-token cross-entropy, the objective of stages pt and sft: the loss is Σ −log p over the label
 * tokens, normalised by the label tokens of the accumulation window as HF's Trainer does.
 */
public final class TokenCrossEntropy implements Objective {
    @Override
    public double normaliser(Batch batch) {
        return labelTokens(batch);
    }

    @Override
    public float[] fixedTokenWeights(Batch batch) {
        float[] weights = new float[batch.tokens()];
        Arrays.fill(weights, 1f);
        return weights;
    }

    @Override
    public Loss loss(ForwardOutput out) {
        double[] logProbs = out.tokenLogProbs();
        float[] d = new float[logProbs.length];
        double sum = 0;
        for (int t = 0; t < logProbs.length; t++) {
            if (!out.hasLabel(t)) continue;
            sum += -logProbs[t];
            d[t] = -1f;
        }
        return new Loss(sum, Map.of(), d, null);
    }

    /** Label tokens of a batch after HF's shift (position t predicts labels[t+1]; -100 ignored). */
    public static int labelTokens(Batch b) {
        int count = 0;
        int[] labels = b.labels();
        for (int r = 0; r < b.batchSize(); r++) {
            for (int t = 1; t < b.seqLen(); t++) if (labels[r * b.seqLen() + t] != Batch.IGNORE_INDEX) count++;
        }
        return count;
    }
}
