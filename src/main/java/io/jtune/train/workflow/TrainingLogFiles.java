package io.jtune.train.workflow;

import io.jtune.config.TrainingArguments;
import io.jtune.train.TensorBoardWriter;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainerState;
import io.jtune.train.TrainingLogger;
import io.jtune.train.TrainingPlan;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Connects the training loop to {@link TrainingLogger}: every log line and evaluation, with the
 * objective's metrics under their own names (eval_ + name for an evaluation), goes to
 * trainer_state.json's history, trainer_log.jsonl and TensorBoard; each checkpoint gets its
 * trainer_state.json; the end writes the results files (the final evaluation's metrics included)
 * and plots the stage's keys.
 */
final class TrainingLogFiles implements TrainerListener {
    private final Path outputDir;
    private final TrainingArguments args;
    private final boolean plotLoss;
    private final List<String> plotKeys;
    private TrainingLogger logger;

    /** @param plotKeys the log_history keys to plot when plotLoss is set (the stage's) */
    TrainingLogFiles(Path outputDir, TrainingArguments args, boolean plotLoss, List<String> plotKeys) {
        this.outputDir = outputDir;
        this.args = args;
        this.plotLoss = plotLoss;
        this.plotKeys = List.copyOf(plotKeys);
    }

    @Override
    public void onTrainBegin(TrainingPlan plan, int startStep) {
        Path previous = outputDir.resolve("checkpoint-" + startStep);
        TrainerState state = startStep > 0 && TrainerState.existsIn(previous)
                ? TrainerState.read(previous.resolve(TrainerState.FILE_NAME))
                : new TrainerState(plan.totalSteps(), (int) Math.ceil(args.numTrainEpochs()), plan.loggingEvery(),
                        plan.evalEvery(), plan.saveEvery(), args.perDeviceTrainBatchSize());
        Path tensorBoardRun = args.reportTo().contains("tensorboard")
                ? TensorBoardWriter.defaultRunDir(outputDir, LocalDateTime.now()) : null;
        try {
            logger = new TrainingLogger(outputDir, state, startStep == 0 && args.overwriteOutputDir(), tensorBoardRun, System::nanoTime);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
        logger.state().advance(step, epoch, tokensSeen, 0);
    }

    @Override
    public void onLog(StepLog s) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("loss", PythonJson.round(s.loss(), 4));
        entry.put("grad_norm", s.gradNorm());
        entry.put("learning_rate", s.learningRate());
        // the objective's own, before epoch as HF's Trainer.log orders them, by name so that every run lists them alike
        Map<String, Double> metrics = new TreeMap<>(s.metrics());
        entry.putAll(metrics);
        entry.put("epoch", PythonJson.round(s.epoch(), 4));
        log(entry, metrics.keySet());
    }

    @Override
    public void onEvaluate(int step, double epoch, double evalLoss, Map<String, Double> metrics) {
        Map<String, Double> sorted = new TreeMap<>(metrics);
        Map<String, Object> entry = EvalMetrics.of(evalLoss, sorted);
        entry.put("epoch", PythonJson.round(epoch, 4));
        log(entry, EvalMetrics.metricKeys(sorted));
    }

    @Override
    public void onCheckpoint(int step, Path checkpoint) {
        try {
            logger.state().write(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** HF's train metrics and, after a final evaluation, its eval metrics; then the plots. */
    @Override
    public void onTrainEnd(TrainOutcome o) {
        try (TrainingLogger l = logger) {
            if (o.interrupted()) {
                l.state().write(outputDir);
                return;
            }
            Map<String, Object> train = new LinkedHashMap<>();
            train.put("epoch", PythonJson.round(o.epoch(), 4));
            train.put("total_flos", 0);
            train.put("train_loss", o.trainLoss());
            train.putAll(io.jtune.io.hf.MetricsFiles.speed("train", o.runtimeSeconds(), o.samplesSeen(), o.globalStep(), 0));
            train.put("num_input_tokens_seen", o.tokensSeen());
            l.finishTraining(train, plotLoss, plotKeys);
            if (o.finalEvalLoss() != null) {
                Map<String, Object> eval = new LinkedHashMap<>();
                eval.put("epoch", PythonJson.round(o.epoch(), 4));
                eval.putAll(EvalMetrics.of(o.finalEvalLoss(), o.finalEvalMetrics()));
                l.finishEvaluation(eval, EvalMetrics.metricKeys(o.finalEvalMetrics()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void log(Map<String, Object> entry, Collection<String> metricKeys) {
        try {
            logger.log(entry, metricKeys);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
