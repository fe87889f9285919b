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
 */
public record Loss(double sum, Map<String, Metric> metrics, float[] dLogProbs, float[] dHidden) {
    public Loss {
        metrics = Map.copyOf(metrics);
    }
}
