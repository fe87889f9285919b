package io.jtune.train;

/**
 * How a run ended, with HF Trainer's result figures.
 *
 * @param trainLoss   mean of the step losses of this run (HF's train_loss)
 * @param interrupted true when a stop was requested (Ctrl-C) and the run ended early with a checkpoint
 */
public record TrainOutcome(int globalStep, double epoch, double trainLoss, double runtimeSeconds, long samplesSeen,
                           long tokensSeen, boolean interrupted, Double finalEvalLoss) {
    public double samplesPerSecond() {
        return runtimeSeconds > 0 ? samplesSeen / runtimeSeconds : 0;
    }
}
