package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.train.DataParallel;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.reward.RewardFunction;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code jtune train}, and what the quickstart, the web UI and the Java API call to train: checks the
 * config, picks the workflow of its stage from {@link Stages} (LLaMA-Factory's run_pt, run_sft, ...)
 * and runs it. The workflow loads the model, the tokenizer and the data, trains with the HF Trainer's
 * semantics and writes the files LLaMA-Factory writes.
 */
public final class TrainWorkflow {
    private final JtuneConfig config;
    private final PrintStream log;
    private final StopSwitch stop = new StopSwitch();
    private Map<String, RewardFunction> rewardFunctions = Map.of();
    private DataParallel group = DataParallel.SINGLE;

    public TrainWorkflow(JtuneConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /**
     * Reward functions written in Java, by the names reward_funcs uses for them (stage grpo); they are
     * looked up before the built-in names.
     */
    public TrainWorkflow withRewardFunctions(Map<String, RewardFunction> functions) {
        this.rewardFunctions = Map.copyOf(functions);
        return this;
    }

    /**
     * Trains as one worker of a data-parallel run (the Spark module's barrier tasks): the worker count
     * multiplies gradient_accumulation_steps, and only rank 0 writes into output_dir.
     */
    public TrainWorkflow asWorkerOf(DataParallel group) {
        this.group = group;
        return this;
    }

    /** Asks a running training to stop after its current step and save a checkpoint. */
    public void requestStop() {
        stop.requestStop();
    }

    /**
     * What a run leaves behind, for callers (the CLI, the quickstart, the web UI, Java users).
     *
     * @param outcome     how training ended; null for an evaluation-only run
     * @param evalLoss    the last evaluation's eval_loss (after training, or the evaluation-only run's); null if none
     * @param evalMetrics that evaluation's objective metrics, named without the "eval_" prefix; empty if none
     */
    public record Result(Path outputDir, TrainOutcome outcome, Double evalLoss, Map<String, Double> evalMetrics) {
        public Result {
            evalMetrics = Collections.unmodifiableSortedMap(new TreeMap<>(evalMetrics));
        }

        /** A result without objective metrics (cross-entropy has none). */
        public Result(Path outputDir, TrainOutcome outcome, Double evalLoss) {
            this(outputDir, outcome, evalLoss, Map.of());
        }
    }

    public Result run(List<TrainerListener> extraListeners) throws IOException {
        for (String w : config.warnings()) log.println("warning: " + w);
        StageWorkflow stage = Stages.forName(config.finetuning().stage());
        TrainingArguments args = config.training();
        boolean scores = args.doPredict() && stage.predictsScores();
        if (!args.doTrain() && !args.doEval() && !scores) {
            throw new JtuneException("do_train and do_eval are both false: nothing to do (set do_train: true)");
        }
        if (args.doPredict() && !stage.predicts() && !stage.predictsScores()) {
            // LLaMA-Factory refuses predict_with_generate outside sft too: there is no prompt to answer
            throw new JtuneException("do_predict: stage " + stage.stage() + " does not predict; generating predictions needs stage sft"
                    + " (stage rm predicts the scores of pairs)");
        }
        if (group.worldSize() > 1) {
            if (!args.doTrain()) throw new JtuneException("do_train: false; a run over " + group.worldSize()
                    + " workers only trains (evaluate or predict on one machine)");
            if (!stage.trainsDataParallel()) throw new JtuneException("stage " + stage.stage()
                    + " makes its batches while it trains and does not train over several workers yet; run it on one machine");
        }
        stage.checkConfig(config);
        return stage.run(new WorkflowContext(config, log, stop, extraListeners, rewardFunctions, group));
    }
}
