package io.jtune.train;

import io.jtune.io.hf.MetricsFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Sends every log of a run to all the places HF and LLaMA-Factory put it: trainer_state.json's
 * log_history, a trainer_log.jsonl line, TensorBoard scalars (when reported to), and at the end the
 * results files and the loss plots. The training loop calls it; it decides nothing about training.
 */
public final class TrainingLogger implements Closeable {
    private final Path outputDir;
    private final TrainerState state;
    private final TrainerLogWriter jsonl;
    private final TensorBoardWriter tensorboard; // null when report_to has no tensorboard
    private final LongSupplier nanoClock;
    private final long startNanos;

    /**
     * @param outputDir       output_dir
     * @param state           the run's state (fresh, or read from a checkpoint when resuming)
     * @param startAfresh     overwrite_output_dir: an old trainer_log.jsonl is deleted instead of appended to
     * @param tensorboardRun  the TensorBoard run folder, or null when not reporting to TensorBoard
     * @param nanoClock       System::nanoTime in a run; a fake in tests
     */
    public TrainingLogger(Path outputDir, TrainerState state, boolean startAfresh, Path tensorboardRun, LongSupplier nanoClock)
            throws IOException {
        this.outputDir = outputDir;
        this.state = state;
        this.jsonl = new TrainerLogWriter(outputDir, startAfresh);
        this.tensorboard = tensorboardRun != null ? new TensorBoardWriter(tensorboardRun) : null;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    public TrainerState state() {
        return state;
    }

    /** Seconds since this logger was created (the run's start in this process). */
    public double elapsedSeconds() {
        return (nanoClock.getAsLong() - startNanos) / 1e9;
    }

    /**
     * Records one Trainer log dict at the current global step (training: loss, grad_norm,
     * learning_rate, epoch; evaluation: eval_loss, eval_runtime, ..., epoch; the final train metrics).
     */
    public void log(Map<String, ?> logs) throws IOException {
        log(logs, List.of());
    }

    /**
     * As {@link #log(Map)}, for a dict that carries an objective's metrics: trainer_log.jsonl's line
     * keeps them too (log_history and TensorBoard keep every key anyway).
     *
     * @param metricKeys the keys of logs that are the objective's metrics, as named in logs
     */
    public void log(Map<String, ?> logs, Collection<String> metricKeys) throws IOException {
        Map<String, Object> entry = state.log(logs);
        jsonl.append(TrainerLogWriter.line(entry, metricKeys, state.globalStep(), state.maxSteps(), elapsedSeconds(),
                state.numInputTokensSeen()));
        if (tensorboard != null) {
            tensorboard.addLogs(logs, state.globalStep());
        }
    }

    /** A TensorBoard text summary (nothing when not reporting to TensorBoard). */
    public void addText(String tag, String text) throws IOException {
        if (tensorboard != null) {
            tensorboard.addText(tag, text);
        }
    }

    /**
     * The end of training as LLaMA-Factory's workflow does it: log the train metrics, write
     * train_results.json / all_results.json and trainer_state.json, and plot the given keys when asked.
     *
     * @return the keys that had nothing to plot (LLaMA-Factory warns about them)
     */
    public List<String> finishTraining(Map<String, ?> trainMetrics, boolean plotLoss, List<String> plotKeys) throws IOException {
        log(trainMetrics);
        MetricsFiles.save(outputDir, "train", trainMetrics);
        state.write(outputDir);
        if (!plotLoss) {
            return List.of();
        }
        return plot(plotKeys);
    }

    /**
     * Plots the given keys of log_history (training_{key}.png); a key with a single point is not
     * drawn (one point makes no curve).
     *
     * @return the keys that had nothing to plot
     */
    public List<String> plot(List<String> plotKeys) throws IOException {
        return LossPlot.plot(outputDir, state.logHistory(), plotKeys).missingKeys();
    }

    /**
     * Final evaluation, as HF's evaluate() and LLaMA-Factory's workflow do it: the metrics are logged
     * once (log_history, trainer_log.jsonl, TensorBoard), then eval_results.json and all_results.json
     * are written, and trainer_state.json again so that it holds the evaluation.
     */
    public void finishEvaluation(Map<String, ?> evalMetrics) throws IOException {
        finishEvaluation(evalMetrics, List.of());
    }

    /** As {@link #finishEvaluation(Map)}, with the keys that are the objective's metrics (see {@link #log(Map, Collection)}). */
    public void finishEvaluation(Map<String, ?> evalMetrics, Collection<String> metricKeys) throws IOException {
        log(evalMetrics, metricKeys);
        MetricsFiles.save(outputDir, "eval", evalMetrics);
        state.write(outputDir);
    }

    @Override
    public void close() throws IOException {
        try {
            jsonl.close();
        } finally {
            if (tensorboard != null) {
                tensorboard.close();
            }
        }
    }
}
