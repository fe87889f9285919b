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
    private String argsJson;        // TensorBoard's "args" text, null when not described
    private String modelConfigJson; // TensorBoard's "model_config" text
    private long flopsParameters;   // HF's num_parameters(exclude_embeddings=True), 0 when not known
    private int lastStep; // the step training ends at: the total, or where early stopping ends it
    private Map<String, Object> evalAtLastStep; // logged at the end: after the train metrics when it is the final evaluation
    private List<String> evalAtLastStepKeys = List.of();
    private TrainingLogger logger;

    /** @param plotKeys the log_history keys to plot when plotLoss is set (the stage's) */
    TrainingLogFiles(Path outputDir, TrainingArguments args, boolean plotLoss, List<String> plotKeys) {
        this.outputDir = outputDir;
        this.args = args;
        this.plotLoss = plotLoss;
        this.plotKeys = List.copyOf(plotKeys);
    }

    /**
     * What HF's TensorBoardCallback writes as text at the start (the training arguments and the
     * model's config.json) and the parameter count total_flos is counted with (6 x parameters x tokens).
     */
    TrainingLogFiles describing(String argsJson, String modelConfigJson, long flopsParameters) {
        this.argsJson = argsJson;
        this.modelConfigJson = modelConfigJson;
        this.flopsParameters = flopsParameters;
        return this;
    }

    /** The Trainer's arguments (the training group's keys, with derived defaults) as TrainingArguments.to_json_string writes them. */
    static String trainingArgsJson(io.jtune.config.JtuneConfig config) {
        Map<String, Object> resolved = config.resolvedValues();
        Map<String, Object> training = new LinkedHashMap<>();
        for (io.jtune.config.ConfigKey key : io.jtune.config.ConfigKeys.of(io.jtune.config.Group.TRAINING)) {
            if (resolved.containsKey(key.name())) training.put(key.name(), resolved.get(key.name()));
        }
        return PythonJson.dumps(training, PythonJson.Options.DEFAULT.withIndent(2)) + "\n";
    }

    /** HF's floating_point_ops summed over the run: 6 x (parameters less embeddings) x input tokens (padding included). */
    private double totalFlos(long tokensSeen) {
        return 6.0 * flopsParameters * tokensSeen;
    }

    @Override
    public void onTrainBegin(TrainingPlan plan, int startStep) {
        Path previous = outputDir.resolve("checkpoint-" + startStep);
        lastStep = plan.totalSteps();
        TrainerState state = startStep > 0 && TrainerState.existsIn(previous)
                ? TrainerState.read(previous.resolve(TrainerState.FILE_NAME))
                : new TrainerState(plan.totalSteps(), (int) Math.ceil(args.numTrainEpochs()), plan.loggingEvery(),
                        plan.evalEvery(), plan.saveEvery(), args.perDeviceTrainBatchSize());
        Path tensorBoardRun = args.reportTo().contains("tensorboard")
                ? TensorBoardWriter.defaultRunDir(outputDir, LocalDateTime.now()) : null;
        try {
            logger = new TrainingLogger(outputDir, state, startStep == 0 && args.overwriteOutputDir(), tensorBoardRun, System::nanoTime);
            if (argsJson != null) logger.addText("args", argsJson);
            if (modelConfigJson != null) logger.addText("model_config", modelConfigJson);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
        logger.state().advance(step, epoch, tokensSeen, totalFlos(tokensSeen));
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
        onEvaluate(step, epoch, evalLoss, metrics, null);
    }

    /**
     * HF's evaluation log: eval_loss, eval_ + each metric, eval_runtime, eval_samples_per_second,
     * eval_steps_per_second, epoch. An evaluation after the last step waits for the end of the run:
     * when it is the final evaluation, LLaMA-Factory logs it once, after the train metrics.
     */
    @Override
    public void onEvaluate(int step, double epoch, double evalLoss, Map<String, Double> metrics, EvalSpeed speed) {
        Map<String, Double> sorted = new TreeMap<>(metrics);
        Map<String, Object> entry = EvalMetrics.of(evalLoss, sorted);
        if (speed != null) {
            entry.putAll(io.jtune.io.hf.MetricsFiles.speed("eval", speed.runtimeSeconds(), speed.samples(), speed.steps(), 0));
        }
        entry.put("epoch", PythonJson.round(epoch, 4));
        if (step == lastStep) {
            // a second evaluation of the last step (of the best model, loaded at the end) is the final one: the first is history
            if (evalAtLastStep != null) log(evalAtLastStep, evalAtLastStepKeys);
            evalAtLastStep = entry;
            evalAtLastStepKeys = EvalMetrics.metricKeys(sorted);
        } else {
            log(entry, EvalMetrics.metricKeys(sorted));
        }
    }

    /** Training ends after this step's evaluation: that evaluation is held as the last step's. */
    @Override
    public void onEarlyStop(int step, int patience) {
        lastStep = step;
        logger.state().stopEarly();
    }

    /** best_metric, best_global_step, best_model_checkpoint and the early-stopping counter, for the next trainer_state.json. */
    @Override
    public void onMetricWatch(io.jtune.train.MetricWatch.State state) {
        logger.state().watch(state);
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
                if (evalAtLastStep != null) l.log(evalAtLastStep, evalAtLastStepKeys);
                l.state().write(outputDir);
                return;
            }
            Map<String, Object> train = new LinkedHashMap<>();
            train.put("epoch", PythonJson.round(o.epoch(), 4));
            train.put("total_flos", totalFlos(o.tokensSeen()));
            train.put("train_loss", o.trainLoss());
            train.putAll(io.jtune.io.hf.MetricsFiles.speed("train", o.runtimeSeconds(), o.samplesSeen(), o.globalStep(), 0));
            train.put("num_input_tokens_seen", o.tokensSeen());
            if (o.finalEvalLoss() == null) {
                if (evalAtLastStep != null) l.log(evalAtLastStep, evalAtLastStepKeys); // an evaluation during training
                l.finishTraining(train, plotLoss, plotKeys);
                return;
            }
            l.finishTraining(train, false, plotKeys);
            Map<String, Object> eval = evalAtLastStep;
            List<String> keys = evalAtLastStepKeys;
            if (eval == null) { // not heard through onEvaluate: from the outcome
                eval = new LinkedHashMap<>(EvalMetrics.of(o.finalEvalLoss(), o.finalEvalMetrics()));
                eval.put("epoch", PythonJson.round(o.epoch(), 4));
                keys = EvalMetrics.metricKeys(o.finalEvalMetrics());
            }
            l.finishEvaluation(eval, keys);
            if (plotLoss) l.plot(plotKeys);
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
