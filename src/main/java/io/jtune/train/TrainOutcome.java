package io.jtune.train;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a run ended, with HF Trainer's result figures.
 *
 * @param trainLoss        mean of the step losses of this run (HF's train_loss)
 * @param interrupted      true when a stop was requested (Ctrl-C) and the run ended early with a checkpoint
 * @param finalEvalLoss    eval_loss of the evaluation after training, null when there was none
 * @param finalEvalMetrics that evaluation's objective metrics, named without the "eval_" prefix; empty when there was none
 */
public record TrainOutcome(int globalStep, double epoch, double trainLoss, double runtimeSeconds, long samplesSeen,
                           long tokensSeen, boolean interrupted, Double finalEvalLoss, Map<String, Double> finalEvalMetrics) {
    public TrainOutcome {
        finalEvalMetrics = Collections.unmodifiableSortedMap(new TreeMap<>(finalEvalMetrics)); // by name, as the files list them
    }

    public double samplesPerSecond() {
        return runtimeSeconds > 0 ? samplesSeen / runtimeSeconds : 0;
    }
}
