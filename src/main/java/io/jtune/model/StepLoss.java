package io.jtune.model;

/** A batch's summed cross-entropy and the number of label tokens it was summed over. */
public record StepLoss(double sum, int labelTokens) {
    /** The mean loss per label token (NaN when the batch has no labels). */
    public double mean() {
        return labelTokens == 0 ? Double.NaN : sum / labelTokens;
    }
}
