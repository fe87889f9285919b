package io.jtune.train;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.StepLoss;
import io.jtune.train.checkpoint.CheckpointDirectory;
import io.jtune.train.checkpoint.OptimizerCheckpoint;
import io.jtune.train.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The training loop, with the HF Trainer's semantics: micro-batches accumulated into optimizer
 * steps, the loss of a step normalised by the label tokens of the whole accumulated window,
 * gradient clipping, a learning-rate schedule, logging, evaluation and checkpoints at fixed
 * intervals, and a resume that continues bit for bit.
 */
public final class Trainer {
    /** Saves and loads the trainable weights in a checkpoint folder (an adapter, or the model's trainable tensors). */
    public interface CheckpointWeights {
        void save(Path dir) throws IOException;

        void load(Path dir);
    }

    /**
     * @param maxGradNorm   0 disables clipping
     * @param evalEvery     steps between evaluations (0: none during training)
     * @param evalAtEnd     evaluate once training ends
     * @param saveEvery     steps between checkpoints (0: none)
     * @param saveAtEpochEnd checkpoint at each epoch's end (save_strategy epoch)
     */
    public record Settings(TrainingPlan plan, double maxGradNorm, boolean logFirstStep, boolean evalAtEpochEnd,
                           boolean evalAtEnd, boolean saveAtEpochEnd, Integer saveTotalLimit, long seed) {}

    private final Settings settings;
    private final CausalLM model;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final TrainBatches train;
    private final List<Batch> eval;
    private final CheckpointWeights weights;
    private final CheckpointDirectory checkpoints;
    private final TrainerListener listener;
    private volatile boolean stopRequested;
    private TrainerProgress progress = new TrainerProgress();
    private Path lastCheckpoint;

    public Trainer(Settings settings, CausalLM model, Optimizer optimizer, LearningRateSchedule schedule,
                   TrainBatches train, List<Batch> eval, CheckpointWeights weights, Path outputDir, TrainerListener listener) {
        this.settings = settings;
        this.model = model;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.train = train;
        this.eval = eval;
        this.weights = weights;
        this.checkpoints = new CheckpointDirectory(outputDir);
        this.listener = listener;
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
    }

    public TrainOutcome run() throws IOException {
        checkpoints.removePartials();
        TrainingPlan plan = settings.plan();
        int startStep = progress.globalStep;
        listener.onTrainBegin(plan, startStep);
        long started = System.nanoTime();
        boolean savedAtLastStep = false;
        while (progress.globalStep < plan.totalSteps() && !stopRequested) {
            boolean epochEnds = step(plan, started);
            savedAtLastStep = false;
            int step = progress.globalStep;
            if (TrainingPlan.due(step, plan.evalEvery()) || (epochEnds && settings.evalAtEpochEnd())) evaluate();
            if (TrainingPlan.due(step, plan.saveEvery()) || (epochEnds && settings.saveAtEpochEnd())) {
                saveCheckpoint();
                savedAtLastStep = true;
            }
        }
        boolean interrupted = stopRequested && progress.globalStep < plan.totalSteps();
        if (interrupted && !savedAtLastStep) saveCheckpoint();
        Double finalEval = !interrupted && settings.evalAtEnd() ? evaluate() : null;
        double runtime = (System.nanoTime() - started) / 1e9;
        double trainLoss = progress.globalStep > 0 ? progress.lossTotal / progress.globalStep : Double.NaN;
        TrainOutcome outcome = new TrainOutcome(progress.globalStep, progress.epochProgress(plan.batchesPerEpoch()), trainLoss,
                runtime, progress.samplesSeen, progress.tokensSeen, interrupted, finalEval);
        listener.onTrainEnd(outcome);
        return outcome;
    }

    /** One optimizer step over an accumulation window; returns true when it finished an epoch. */
    private boolean step(TrainingPlan plan, long started) {
        int from = progress.nextBatch;
        int to = Math.min(plan.batchesPerEpoch(), from + plan.accumulation());
        List<Batch> window = new ArrayList<>(to - from);
        int labelTokens = 0;
        for (int i = from; i < to; i++) {
            Batch b = train.batch(progress.epoch, i);
            window.add(b);
            labelTokens += TrainBatches.labelTokens(b);
        }
        model.zeroGrad();
        double lossSum = 0;
        float gradScale = labelTokens > 0 ? 1f / labelTokens : 0f;
        for (Batch b : window) {
            StepLoss l = model.forwardBackward(b, gradScale);
            lossSum += l.sum();
            progress.tokensSeen += b.tokens();
            progress.samplesSeen += b.batchSize();
        }
        double loss = labelTokens > 0 ? lossSum / labelTokens : 0;
        double gradNorm = settings.maxGradNorm() > 0 ? model.clipGradientNorm(settings.maxGradNorm()) : model.gradientNorm();
        if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            throw new JtuneException("training diverged at step " + (progress.globalStep + 1) + " (epoch "
                    + String.format("%.2f", progress.epochProgress(plan.batchesPerEpoch())) + "): the "
                    + (Double.isFinite(loss) ? "gradient norm" : "loss") + " is " + (Double.isFinite(loss) ? gradNorm : loss)
                    + ". " + (lastCheckpoint != null ? "The last good checkpoint is " + lastCheckpoint + "." : "No checkpoint was saved yet.")
                    + " Lower learning_rate, set max_grad_norm, or check the data.");
        }
        if (labelTokens > 0) optimizer.step(schedule.learningRate(progress.globalStep));
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
        int step = progress.globalStep;
        double epoch = progress.epochProgress(plan.batchesPerEpoch());
        double nextLr = schedule.learningRate(step);
        listener.onStep(step, loss, nextLr, epoch, progress.tokensSeen);
        if (TrainingPlan.due(step, plan.loggingEvery()) || (settings.logFirstStep() && step == 1) || step == plan.totalSteps()) {
            listener.onLog(new TrainerListener.StepLog(step, plan.totalSteps(), progress.lossSinceLog / progress.stepsSinceLog,
                    gradNorm, nextLr, epoch, progress.tokensSeen, (System.nanoTime() - started) / 1e9));
            progress.lossSinceLog = 0;
            progress.stepsSinceLog = 0;
        }
        return epochEnds;
    }

    /** HF's eval_loss: the mean of the batches' mean losses, weighted by their number of examples. */
    private Double evaluate() {
        if (eval.isEmpty()) return null;
        double weighted = 0;
        long examples = 0;
        for (Batch b : eval) {
            StepLoss l = model.evaluate(b);
            if (l.labelTokens() == 0) continue;
            weighted += l.mean() * b.batchSize();
            examples += b.batchSize();
        }
        if (examples == 0) return null;
        double loss = weighted / examples;
        listener.onEvaluate(progress.globalStep, progress.epochProgress(settings.plan().batchesPerEpoch()), loss);
        return loss;
    }

    private void saveCheckpoint() throws IOException {
        TrainerProgress snapshot = progress;
        lastCheckpoint = checkpoints.save(snapshot.globalStep, dir -> {
            weights.save(dir);
            OptimizerCheckpoint.save(optimizer, dir);
            snapshot.write(dir, settings.seed());
        });
        if (settings.saveTotalLimit() != null) checkpoints.prune(settings.saveTotalLimit());
        listener.onCheckpoint(snapshot.globalStep, lastCheckpoint);
    }
}
