package io.jtune.train.workflow;

import io.jtune.config.DataArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.data.TokenizedExample;
import io.jtune.model.Batch;
import io.jtune.train.DataParallel;
import io.jtune.train.EvalBatches;
import io.jtune.train.LearningRateSchedule;
import io.jtune.train.MetricWatch;
import io.jtune.train.TrainBatches;
import io.jtune.train.TrainOutcome;
import io.jtune.train.Trainer;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import io.jtune.train.objective.Objective;
import io.jtune.train.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Training as the HF Trainer sets it up from the training keys: the step plan (epochs or max_steps,
 * accumulation, logging, evaluation and save intervals), the learning-rate schedule, the optimizer,
 * the listeners (the log files first, then the caller's), and a resume from a checkpoint.
 */
final class TrainingLoop {
    private final WorkflowContext context;
    private final List<String> plotKeys;
    private final DatasetBatches.Layout layout;

    /** @param plotKeys the log_history keys plot_loss draws at the end (the stage's) */
    TrainingLoop(WorkflowContext context, List<String> plotKeys) {
        this(context, plotKeys, DatasetBatches.Layout.SINGLE);
    }

    /** @param layout how the training examples become batch rows (see {@link DatasetBatches.Layout}) */
    TrainingLoop(WorkflowContext context, List<String> plotKeys, DatasetBatches.Layout layout) {
        this.context = context;
        this.plotKeys = List.copyOf(plotKeys);
        this.layout = layout;
    }

    /**
     * Trains {@code model} on {@code objective} until the plan's last step or a stop request.
     *
     * @param padId  the tokenizer's padding id, for batching the training examples
     * @param resume the checkpoint to continue from, if any
     */
    TrainOutcome run(TrainableModel model, Objective objective, List<TokenizedExample> trainExamples, int padId,
                     List<Batch> evalBatches, Optional<Path> resume) throws IOException {
        JtuneConfig config = context.config();
        TrainingArguments args = config.training();
        DataArguments dataArgs = config.data();
        DatasetBatches train = new DatasetBatches(trainExamples, args.perDeviceTrainBatchSize(), args.dataSeed(),
                !config.finetuning().disableShuffling(), padId, dataArgs.neatPacking(), layout);
        return run(model, objective, train, evalBatches, resume);
    }

    /** Trains on batches the stage makes itself (grpo's rollouts); otherwise as {@link #run(TrainableModel, Objective, List, int, List, Optional)}. */
    TrainOutcome run(TrainableModel model, Objective objective, TrainBatches train, List<Batch> evalBatches, Optional<Path> resume)
            throws IOException {
        return run(model, objective, train, EvalBatches.of(evalBatches), resume);
    }

    /** Trains with evaluation batches made at each evaluation (grpo's and ppo's held-out rollouts). */
    TrainOutcome run(TrainableModel model, Objective objective, TrainBatches train, EvalBatches evalBatches, Optional<Path> resume)
            throws IOException {
        JtuneConfig config = context.config();
        TrainingArguments args = config.training();
        Path outputDir = Path.of(args.outputDir());
        boolean evalSteps = "steps".equals(args.evalStrategy()) && !evalBatches.isEmpty();
        boolean saveSteps = "steps".equals(args.saveStrategy());
        DataParallel group = context.group();
        // gradient_accumulation_steps counts each worker's micro-batches, as per_device_train_batch_size its rows:
        // a step's window holds every worker's
        TrainingPlan plan = TrainingPlan.of(train.batchesPerEpoch(), args.gradientAccumulationSteps() * group.worldSize(), args.numTrainEpochs(),
                args.maxSteps(), args.loggingSteps(), evalSteps ? args.evalSteps() : 0, saveSteps ? args.saveSteps() : 0);
        int warmup = LearningRateSchedule.warmupSteps(args.warmupSteps(), args.warmupRatio(), plan.totalSteps());
        LearningRateSchedule schedule = LearningRateSchedule.create(args.lrSchedulerType(), args.learningRate(), warmup,
                plan.totalSteps(), args.lrSchedulerKwargs());
        Optimizer optimizer = Optimizers.create(args, config.finetuning(), model.model());
        if (config.finetuning().loraplusLrRatio() != null) {
            context.log().printf("Using LoRA+ optimizer with loraplus lr ratio %.2f.%n", config.finetuning().loraplusLrRatio());
        }

        List<TrainerListener> listeners = new ArrayList<>();
        // the log files hear each event first: its files are written before the caller's listeners react
        if (group.writesOutputs()) {
            listeners.add(new TrainingLogFiles(outputDir, args, config.finetuning().plotLoss(), plotKeys)
                    .describing(TrainingLogFiles.trainingArgsJson(config), model.weights().modelConfigJson(), model.weights().flopsParameters()));
        }
        listeners.add(new WatchMessages(context.log(), args.metricForBestModel()));
        listeners.addAll(context.listeners());
        MetricWatch.Settings watch = args.metricForBestModel() == null ? null
                : new MetricWatch.Settings(args.metricForBestModel(), args.greaterIsBetter(), config.finetuning().earlyStoppingSteps());
        Trainer.Settings settings = new Trainer.Settings(plan, args.maxGradNorm(), args.loggingFirstStep(),
                "epoch".equals(args.evalStrategy()) && !evalBatches.isEmpty(), args.doEval() && !evalBatches.isEmpty(),
                "epoch".equals(args.saveStrategy()), args.saveTotalLimit(), args.seed(),
                watch, "best".equals(args.saveStrategy()), args.loadBestModelAtEnd());
        Trainer trainer = new Trainer(settings, model.model(), objective, optimizer, schedule, train,
                evalBatches, model.weights(), outputDir, TrainerListeners.all(listeners), group);
        boolean pissaConvert = group.writesOutputs() && config.finetuning().pissaConvert() && model.weights().adapterConfig() != null;
        // before a resume loads the checkpoint: PiSSA's deterministic start is the run's initial adapter
        if (pissaConvert) PissaOutputs.saveInitial(model.weights(), outputDir, context.log());
        if (resume.isPresent()) {
            context.log().println("Resuming training from " + resume.get());
            trainer.resumeFrom(resume.get());
        }
        TrainOutcome outcome = context.stop().run(trainer);
        if (pissaConvert) PissaOutputs.saveConverted(model.weights(), outputDir, context.log());
        return outcome;
    }

    /** Says when early stopping ends the run and which checkpoint load_best_model_at_end loads, as the HF Trainer logs them. */
    private record WatchMessages(java.io.PrintStream log, String metric) implements TrainerListener {
        @Override
        public void onEarlyStop(int step, int patience) {
            log.println("Early stopping at step " + step + ": " + metric + " has not improved for " + patience + " evaluations");
        }

        @Override
        public void onBestModelLoaded(Path checkpoint, double value) {
            log.println("Loading best model from " + checkpoint + " (score: " + value + ").");
        }
    }
}
