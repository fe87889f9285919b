package io.jtune.model;

/** A batch's summed cross-entropy and the number of label tokens it was summed over. */
public record StepLoss(double sum, int labelTokens) {
    /** The mean loss per label token (NaN when the batch has no labels). */
    public double mean() {
        return labelTokens == 0 ? Double.NaN : sum / labelTokens;
    }

    /** Σ −log p over a pass's label tokens, in token order. */
    static StepLoss of(ForwardOutput out) {
        double sum = 0;
        int count = 0;
        for (int t = 0; t < out.logProbs.length; t++) {
            if (!out.hasLabel(t)) continue;
            sum += -out.logProbs[t];
            count++;
        }
        return new StepLoss(sum, count);
    }
}
