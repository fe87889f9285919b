package io.jtune.train;

import java.nio.file.Path;
import java.util.Map;

/** What the loop reports as it goes: log files, progress bars and the web UI listen here. */
public interface TrainerListener {
    /** Called when training starts (or resumes at {@code startStep}). */
    default void onTrainBegin(TrainingPlan plan, int startStep) {}

    /** After each optimizer step. */
    default void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {}

    /** Every logging_steps: the loss averaged since the last log, HF's fields. */
    default void onLog(StepLog log) {}

    /** After an evaluation: eval_loss and the objective's metrics (named without the "eval_" prefix). */
    default void onEvaluate(int step, double epoch, double evalLoss, Map<String, Double> metrics) {}

    /**
     * As {@link #onEvaluate(int, double, double, Map)}, with how long the evaluation took over how many
     * examples and batches (HF's eval_runtime, eval_samples_per_second, eval_steps_per_second). The
     * loop calls this one; by default it forwards to the other.
     */
    default void onEvaluate(int step, double epoch, double evalLoss, Map<String, Double> metrics, EvalSpeed speed) {
        onEvaluate(step, epoch, evalLoss, metrics);
    }

    /** An evaluation's duration, examples and batches. */
    record EvalSpeed(double runtimeSeconds, long samples, long steps) {}

    /**
     * Called before {@link #onCheckpoint} and after each evaluation when metric_for_best_model is watched: the
     * best value so far, its step and checkpoint, the early-stopping counter (trainer_state.json records them).
     */
    default void onMetricWatch(MetricWatch.State state) {}

    default void onCheckpoint(int step, Path checkpoint) {}

    /** Early stopping ended training at {@code step}: the metric did not improve for {@code patience} evaluations. */
    default void onEarlyStop(int step, int patience) {}

    /** load_best_model_at_end: the best checkpoint's weights replaced the last ones before the final evaluation and save. */
    default void onBestModelLoaded(Path checkpoint, double metric) {}

    default void onTrainEnd(TrainOutcome outcome) {}

    /**
     * One line of the training log.
     *
     * @param metrics the objective's own metrics averaged since the last log, by name (e.g. "rewards/chosen");
     *                empty for cross-entropy
     */
    record StepLog(int step, int totalSteps, double loss, double gradNorm, double learningRate, double epoch,
                   long tokensSeen, double elapsedSeconds, Map<String, Double> metrics) {
        public StepLog {
            metrics = Map.copyOf(metrics);
        }
    }
}
