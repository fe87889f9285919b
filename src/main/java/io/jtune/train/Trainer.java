package io.jtune.train;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.ParameterSet;
import io.jtune.train.checkpoint.CheckpointDirectory;
import io.jtune.train.checkpoint.OptimizerCheckpoint;
import io.jtune.train.objective.Loss;
import io.jtune.train.objective.Metric;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.ObjectiveRunner;
import io.jtune.train.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training loop, with the HF Trainer's semantics: micro-batches accumulated into optimizer
 * steps, the loss of a step normalised by its objective's units (label tokens for cross-entropy)
 * over the whole accumulated window, the objective's metrics averaged the same way,
 * gradient clipping, a learning-rate schedule, logging, evaluation and checkpoints at fixed
 * intervals, and a resume that continues bit for bit.
 *
 * <p>In a data-parallel run ({@link DataParallel}) the plan's accumulation window spans all workers:
 * each worker trains its contiguous share of the window's micro-batches, the normaliser, the
 * gradients, the loss and the metrics are combined across workers in the window's order before the
 * optimizer step, and only the worker that {@linkplain DataParallel#writesOutputs() writes outputs}
 * saves checkpoints and runs the final evaluation.
 */
public final class Trainer {
    /** Saves and loads the trainable weights in a checkpoint folder (an adapter, or the model's trainable tensors). */
    public interface CheckpointWeights {
        void save(Path dir) throws IOException;

        void load(Path dir);
    }

    /**
     * @param maxGradNorm    0 disables clipping
     * @param evalAtEnd      evaluate once training ends
     * @param saveAtEpochEnd checkpoint at each epoch's end (save_strategy epoch)
     * @param watch          metric_for_best_model and early stopping; null when no metric is watched
     * @param saveAtNewBest  checkpoint whenever the watched metric reaches a new best (save_strategy best)
     * @param loadBestAtEnd  load the best checkpoint when training ends (load_best_model_at_end)
     */
    public record Settings(TrainingPlan plan, double maxGradNorm, boolean logFirstStep, boolean evalAtEpochEnd,
                           boolean evalAtEnd, boolean saveAtEpochEnd, Integer saveTotalLimit, long seed,
                           MetricWatch.Settings watch, boolean saveAtNewBest, boolean loadBestAtEnd) {
        public Settings {
            if ((saveAtNewBest || loadBestAtEnd) && watch == null) {
                throw new IllegalArgumentException("saving or loading the best model needs a watched metric");
            }
        }

        /** Settings that watch no metric. */
        public Settings(TrainingPlan plan, double maxGradNorm, boolean logFirstStep, boolean evalAtEpochEnd,
                        boolean evalAtEnd, boolean saveAtEpochEnd, Integer saveTotalLimit, long seed) {
            this(plan, maxGradNorm, logFirstStep, evalAtEpochEnd, evalAtEnd, saveAtEpochEnd, saveTotalLimit, seed, null, false, false);
        }
    }

    private final Settings settings;
    private final CausalLM model;
    private final ParameterSet trainable;
    private final ObjectiveRunner objective;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final TrainBatches train;
    private final EvalBatches eval;
    private final CheckpointWeights weights;
    private final CheckpointDirectory checkpoints;
    private final TrainerListener listener;
    private final MetricWatch watch; // null when no metric is watched
    private final DataParallel group;
    private volatile boolean stopRequested;
    private TrainerProgress progress = new TrainerProgress();
    private MetricSums metricsSinceLog = new MetricSums();
    private Path lastCheckpoint;

    /**
     * @param objective what the model is trained on (stage pt and sft: {@link io.jtune.train.objective.TokenCrossEntropy});
     *                  it trains the model's trainable parameters (its LoRA adapter, or its own)
     */
    public Trainer(Settings settings, CausalLM model, Objective objective, Optimizer optimizer, LearningRateSchedule schedule,
                   TrainBatches train, List<Batch> eval, CheckpointWeights weights, Path outputDir, TrainerListener listener) {
        this(settings, model, objective, optimizer, schedule, train, EvalBatches.of(eval), weights, outputDir, listener, DataParallel.SINGLE);
    }

    /** As above, with evaluation batches made at each evaluation (an online stage's held-out rollouts). */
    public Trainer(Settings settings, CausalLM model, Objective objective, Optimizer optimizer, LearningRateSchedule schedule,
                   TrainBatches train, EvalBatches eval, CheckpointWeights weights, Path outputDir, TrainerListener listener) {
        this(settings, model, objective, optimizer, schedule, train, eval, weights, outputDir, listener, DataParallel.SINGLE);
    }

    /** One worker of {@code group}, evaluating a fixed list of batches. */
    public Trainer(Settings settings, CausalLM model, Objective objective, Optimizer optimizer, LearningRateSchedule schedule,
                   TrainBatches train, List<Batch> eval, CheckpointWeights weights, Path outputDir, TrainerListener listener,
                   DataParallel group) {
        this(settings, model, objective, optimizer, schedule, train, EvalBatches.of(eval), weights, outputDir, listener, group);
    }

    /**
     * A trainer that is one worker of {@code group}: the plan's accumulation counts the micro-batches of
     * all workers together, and must be a multiple of the worker count, as must the micro-batches of an epoch.
     */
    public Trainer(Settings settings, CausalLM model, Objective objective, Optimizer optimizer, LearningRateSchedule schedule,
                   TrainBatches train, EvalBatches eval, CheckpointWeights weights, Path outputDir, TrainerListener listener,
                   DataParallel group) {
        int workers = group.worldSize();
        if (settings.plan().batchesPerEpoch() % workers != 0) {
            throw new JtuneException("the training data makes " + settings.plan().batchesPerEpoch() + " micro-batches"
                    + " (of per_device_train_batch_size) an epoch, which " + workers + " workers cannot share evenly;"
                    + " choose a worker count that divides it, or change max_samples or per_device_train_batch_size");
        }
        if (settings.plan().accumulation() % workers != 0) {
            throw new IllegalArgumentException("the accumulation window " + settings.plan().accumulation()
                    + " is not a multiple of the " + workers + " workers");
        }
        this.group = group;
        this.settings = settings;
        this.model = model;
        this.trainable = model.trainable();
        this.objective = new ObjectiveRunner(model, objective);
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.train = train;
        this.eval = eval;
        this.weights = weights;
        this.checkpoints = new CheckpointDirectory(outputDir);
        this.listener = listener;
        this.watch = settings.watch() == null ? null : new MetricWatch(settings.watch());
    }

    /** Asks the loop to stop after the current step, saving a checkpoint (Ctrl-C). Safe from any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    /** Continues from a checkpoint folder written by this trainer. */
    public void resumeFrom(Path checkpoint) {
        progress = TrainerProgress.read(checkpoint, settings.seed());
        if (progress.globalStep > settings.plan().totalSteps()) {
            throw new JtuneException("resume_from_checkpoint: " + checkpoint + " is at step " + progress.globalStep
                    + ", beyond this run's " + settings.plan().totalSteps() + " steps");
        }
        weights.load(checkpoint);
        OptimizerCheckpoint.load(optimizer, checkpoint);
        model.setStep(progress.modelStepCounter);
        lastCheckpoint = checkpoint;
        // the best metric so far and the early-stopping count, as the checkpoint's trainer_state.json recorded them
        if (watch != null && TrainerState.existsIn(checkpoint)) {
            watch.restore(TrainerState.read(checkpoint.resolve(TrainerState.FILE_NAME)).watchState());
        }
    }

    public TrainOutcome run() throws IOException {
        if (group.writesOutputs()) checkpoints.removePartials(); // the others must not touch the writer's folders
        TrainingPlan plan = settings.plan();
        int startStep = progress.globalStep;
        listener.onTrainBegin(plan, startStep);
        long started = System.nanoTime();
        boolean savedAtLastStep = false;
        boolean stoppedEarly = false;
        Evaluation evaluatedNow = null;
        int evaluatedAt = -1;
        while (progress.globalStep < plan.totalSteps() && !stopRequested) {
            boolean epochEnds = step(plan, started);
            savedAtLastStep = false;
            int step = progress.globalStep;
            boolean newBest = false;
            if (TrainingPlan.due(step, plan.evalEvery()) || (epochEnds && settings.evalAtEpochEnd())) {
                evaluatedNow = evaluate(true);
                evaluatedAt = step;
                newBest = evaluatedNow != null && watch != null && watch.bestAt(step);
                stoppedEarly = watch != null && watch.patienceExhausted();
            }
            if (TrainingPlan.due(step, plan.saveEvery()) || (epochEnds && settings.saveAtEpochEnd())
                    || (newBest && settings.saveAtNewBest())) {
                saveCheckpoint();
                savedAtLastStep = true;
            }
            if (stoppedEarly) break;
        }
        boolean interrupted = !stoppedEarly && stopRequested && progress.globalStep < plan.totalSteps();
        if (interrupted && !savedAtLastStep) saveCheckpoint();
        if (!interrupted && settings.loadBestAtEnd() && loadBestModel() && !watch.bestAt(evaluatedAt)) {
            evaluatedNow = null; // the weights changed: the final evaluation is the best model's
        }
        // the weights the last step evaluated are the final ones: that evaluation is the final one (evaluated and logged once)
        Evaluation finalEval = interrupted || !settings.evalAtEnd() ? null
                : evaluatedAt == progress.globalStep && evaluatedNow != null ? evaluatedNow : evaluate(false);
        double runtime = (System.nanoTime() - started) / 1e9;
        double trainLoss = progress.globalStep > 0 ? progress.lossTotal / progress.globalStep : Double.NaN;
        TrainOutcome outcome = new TrainOutcome(progress.globalStep, progress.epochProgress(plan.batchesPerEpoch()), trainLoss,
                runtime, progress.samplesSeen, progress.tokensSeen, interrupted, finalEval == null ? null : finalEval.loss(),
                finalEval == null ? Map.of() : finalEval.metrics());
        listener.onTrainEnd(outcome);
        return outcome;
    }

    /**
     * load_best_model_at_end: replaces the trainable weights with the best checkpoint's, as the HF
     * Trainer does before LLaMA-Factory's final evaluation and save. Returns whether it loaded one;
     * with no best checkpoint (no evaluation had a checkpoint) the last weights stay.
     */
    private boolean loadBestModel() {
        MetricWatch.State best = watch.state();
        if (best.bestCheckpoint() == null || !group.writesOutputs()) return false;
        if (!java.nio.file.Files.isDirectory(best.bestCheckpoint())) {
            throw new JtuneException("load_best_model_at_end: the best checkpoint " + best.bestCheckpoint()
                    + " (step " + best.bestGlobalStep() + ") is gone; the last weights are in " + lastCheckpoint);
        }
        weights.load(best.bestCheckpoint());
        listener.onBestModelLoaded(best.bestCheckpoint(), best.bestMetric());
        return true;
    }

    /** One optimizer step over an accumulation window; returns true when it finished an epoch. */
    private boolean step(TrainingPlan plan, long started) {
        int from = progress.nextBatch;
        int to = Math.min(plan.batchesPerEpoch(), from + plan.accumulation());
        // this worker's share of the window: a contiguous run of micro-batches, the workers in rank order
        int share = (to - from) / group.worldSize();
        int mineFrom = from + group.rank() * share;
        long fetchStarted = System.nanoTime();
        List<Batch> window = new ArrayList<>(share);
        double[] myUnits = new double[share];
        for (int i = 0; i < share; i++) {
            Batch b = train.batch(progress.epoch, mineFrom + i);
            window.add(b);
            myUnits[i] = objective.objective().normaliser(b);
        }
        // the loss is normalised by the units of the whole window, every worker's micro-batches counted
        double units = 0;
        for (double u : StepTally.gatherNumbers(group, myUnits)) units += u;
        long passesStarted = System.nanoTime();
        trainable.zeroGrad();
        float gradScale = units > 0 ? 1f / (float) units : 0f;
        List<StepTally> mine = new ArrayList<>(share);
        for (Batch b : window) {
            Loss l = objective.train(b, gradScale);
            mine.add(new StepTally(l.sum(), b.tokens(), objective.objective().examples(b), l.metrics()));
        }
        if (group.worldSize() > 1) group.allReduceSum(trainable.gradients());
        double lossSum = 0;
        MetricSums metrics = new MetricSums();
        for (StepTally t : StepTally.gather(group, mine)) {
            lossSum += t.lossSum();
            metrics.add(t.metrics());
            progress.tokensSeen += t.tokens();
            progress.samplesSeen += t.examples();
        }
        double loss = units > 0 ? lossSum / units : 0;
        double gradNorm = settings.maxGradNorm() > 0 ? trainable.clipGradientNorm(settings.maxGradNorm()) : trainable.gradientNorm();
        if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            throw new JtuneException("training diverged at step " + (progress.globalStep + 1) + " (epoch "
                    + String.format("%.2f", progress.epochProgress(plan.batchesPerEpoch())) + "): the "
                    + (Double.isFinite(loss) ? "gradient norm" : "loss") + " is " + (Double.isFinite(loss) ? gradNorm : loss)
                    + ". " + (lastCheckpoint != null ? "The last good checkpoint is " + lastCheckpoint + "." : "No checkpoint was saved yet.")
                    + " Lower learning_rate, set max_grad_norm, or check the data.");
        }
        if (units > 0) optimizer.step(schedule.learningRate(progress.globalStep));
        if (train.generatesOnline()) {
            long passesEnded = System.nanoTime();
            metrics.add(Map.of("generation_time", Metric.of((passesStarted - fetchStarted) / 1e9, 1),
                    "training_time", Metric.of((passesEnded - passesStarted) / 1e9, 1)));
        }
        progress.globalStep++;
        progress.modelStepCounter = model.stepCounter();
        boolean epochEnds = to == plan.batchesPerEpoch();
        if (epochEnds) {
            progress.epoch++;
            progress.nextBatch = 0;
        } else {
            progress.nextBatch = to;
        }
        progress.lossTotal += loss;
        progress.lossSinceLog += loss;
        progress.stepsSinceLog++;
        metricsSinceLog.addStep(metrics);
        int step = progress.globalStep;
        double epoch = progress.epochProgress(plan.batchesPerEpoch());
        double nextLr = schedule.learningRate(step);
        listener.onStep(step, loss, nextLr, epoch, progress.tokensSeen);
        if (TrainingPlan.due(step, plan.loggingEvery()) || (settings.logFirstStep() && step == 1) || step == plan.totalSteps()) {
            listener.onLog(new TrainerListener.StepLog(step, plan.totalSteps(), progress.lossSinceLog / progress.stepsSinceLog,
                    gradNorm, nextLr, epoch, progress.tokensSeen, (System.nanoTime() - started) / 1e9, metricsSinceLog.values()));
            progress.lossSinceLog = 0;
            progress.stepsSinceLog = 0;
            metricsSinceLog = new MetricSums();
        }
        return epochEnds;
    }

    /**
     * Evaluates (see {@link Evaluation}) and tells the listeners; null when there is nothing to evaluate.
     * A {@code watched} evaluation (one during training) is also compared with the best so far; when it
     * uses up the early-stopping patience, the listeners hear that before the evaluation itself, so that
     * they can treat it as the run's last.
     */
    private Evaluation evaluate(boolean watched) {
        if (eval.isEmpty()) return null;
        // a worker that writes nothing evaluates only when the result steers the run (early stopping)
        if (!group.writesOutputs() && !(watched && watch != null)) return null;
        long began = System.nanoTime();
        List<Batch> batches = eval.make();
        Evaluation result;
        try {
            result = Evaluation.run(objective, batches);
        } finally {
            eval.release(batches);
        }
        if (result == null) return null;
        long samples = 0;
        for (Batch b : batches) samples += b.batchSize();
        int step = progress.globalStep;
        if (watched && watch != null) {
            watch.observe(step, result.loss(), result.metrics());
            if (watch.patienceExhausted()) listener.onEarlyStop(step, watch.settings().patience());
        }
        listener.onEvaluate(step, progress.epochProgress(settings.plan().batchesPerEpoch()), result.loss(), result.metrics(),
                new TrainerListener.EvalSpeed((System.nanoTime() - began) / 1e9, samples, batches.size()));
        if (watched && watch != null) listener.onMetricWatch(watch.state());
        return result;
    }

    private void saveCheckpoint() throws IOException {
        if (!group.writesOutputs()) return;
        TrainerProgress snapshot = progress;
        lastCheckpoint = checkpoints.save(snapshot.globalStep, dir -> {
            weights.save(dir);
            OptimizerCheckpoint.save(optimizer, dir);
            snapshot.write(dir, settings.seed());
        });
        Path best = null;
        if (watch != null) {
            watch.checkpointSaved(snapshot.globalStep, lastCheckpoint);
            best = watch.state().bestCheckpoint();
            listener.onMetricWatch(watch.state());
        }
        if (settings.saveTotalLimit() != null) {
            // as the HF Trainer: the best checkpoint is kept, and with load_best_model_at_end a limit of 1 keeps it and the last
            int limit = settings.saveTotalLimit() == 1 && settings.loadBestAtEnd() && best != null && !best.equals(lastCheckpoint)
                    ? 2 : settings.saveTotalLimit();
            checkpoints.prune(limit, best);
        }
        listener.onCheckpoint(snapshot.globalStep, lastCheckpoint);
    }

    /**
     * An objective's metrics combined: within a step by their sums and counts (micro-batches), across
     * the steps of a logging interval as the mean of the steps' values, as the loss is.
     */
    private static final class MetricSums {
        private final Map<String, Metric> sums = new java.util.TreeMap<>();
        private final Map<String, double[]> stepMeans = new java.util.TreeMap<>();   // name -> {sum of step values, steps}

        void add(Map<String, Metric> metrics) {
            metrics.forEach((name, m) -> sums.merge(name, m, Metric::plus));
        }

        void addStep(MetricSums step) {
            step.sums.forEach((name, m) -> {
                double[] acc = stepMeans.computeIfAbsent(name, k -> new double[2]);
                acc[0] += m.value();
                acc[1]++;
            });
        }

        /** The mean of each metric over the steps added. */
        Map<String, Double> values() {
            Map<String, Double> out = new java.util.TreeMap<>();
            stepMeans.forEach((name, acc) -> out.put(name, acc[0] / acc[1]));
            return out;
        }
    }
}
