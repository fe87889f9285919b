package io.jtune.train.objective;

import java.util.Map;

/**
 * What an objective makes of one forward pass.
 *
 * @param sum        the loss summed over the batch's units (see {@link Objective#normaliser})
 * @param metrics    named extra metrics ("rewards/chosen", ...), logged as they are named; empty for
 *                   plain cross-entropy
 * @param dLogProbs  ∂sum/∂(log p of each flat token position); 0 where there is no label
 * @param dHidden    ∂sum/∂(the gathered hidden states) [positions x hidden], or null
 * @param ownGradients for an objective with parameters of its own (a value head): adds scale·∂sum/∂(those
 *                   parameters) to their gradients; the runner calls it with its gradScale; null when none
 */
public record Loss(double sum, Map<String, Metric> metrics, float[] dLogProbs, float[] dHidden, OwnGradients ownGradients) {
    public Loss {
        metrics = Map.copyOf(metrics);
    }

    public Loss(double sum, Map<String, Metric> metrics, float[] dLogProbs, float[] dHidden) {
        this(sum, metrics, dLogProbs, dHidden, null);
    }

    /** Adds scale × the gradient of the loss with respect to an objective's own parameters. */
    @FunctionalInterface
    public interface OwnGradients {
        void add(float scale);
    }
}
