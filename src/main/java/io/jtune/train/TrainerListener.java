package io.jtune.train;

import java.nio.file.Path;

/** What the loop reports as it goes: log files, progress bars and the web UI listen here. */
public interface TrainerListener {
    /** Called when training starts (or resumes at {@code startStep}). */
    default void onTrainBegin(TrainingPlan plan, int startStep) {}

    /** After each optimizer step. */
    default void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {}

    /** Every logging_steps: the loss averaged since the last log, HF's fields. */
    default void onLog(StepLog log) {}

    default void onEvaluate(int step, double epoch, double evalLoss) {}

    default void onCheckpoint(int step, Path checkpoint) {}

    default void onTrainEnd(TrainOutcome outcome) {}

    /** One line of the training log. */
    record StepLog(int step, int totalSteps, double loss, double gradNorm, double learningRate, double epoch,
                   long tokensSeen, double elapsedSeconds) {}
}
