package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;
import io.jtune.train.objective.Objective;
import java.io.IOException;
import java.util.List;

/**
 * One training stage, as LLaMA-Factory has one workflow per stage (run_pt, run_sft, run_dpo, ...):
 * which data it reads, what it trains the model on, what it needs from the config, and what its
 * plots show. {@link Stages} lists them; {@link TrainWorkflow} picks one by the stage key.
 *
 * <p>A stage that trains one model on one objective (pt, sft, and later rm and kto) declares these
 * and inherits {@link #run}, the sequence of shared steps in {@link StandardRun}. A stage that needs
 * more (a frozen reference model for dpo, generation for ppo) overrides {@link #run} and composes the
 * same steps ({@link BaseModel}, {@link TrainingData}, {@link TrainableModel}, {@link TrainingLoop},
 * {@link EvaluationOnly}) with its own.
 */
interface StageWorkflow {
    /** The stage key's value that selects this workflow: "pt", "sft". */
    String stage();

    /** The data path's processor for this stage (pt: packed text; sft: prompt and response, prompt masked). */
    String dataStage();

    /**
     * What the model is trained and evaluated on, for a stage whose objective needs nothing but the
     * trained model's own pass (pt, sft); its metrics are logged under their own names. A stage whose
     * objective needs more (dpo's reference model) overrides {@link #objective(StageModels)} instead.
     */
    default Objective objective() {
        throw new IllegalStateException("stage " + stage() + "'s objective is built from its models: objective(StageModels)");
    }

    /** The objective for the models of a run (by default {@link #objective()}). */
    default Objective objective(StageModels models) {
        return objective();
    }

    /**
     * How the stage's examples become batch rows: one row each (the default), preference pairs
     * (chosen rows, then the rejected rows of the same pairs) or KTO examples with their KL rows.
     */
    default DatasetBatches.Layout batchLayout() {
        return DatasetBatches.Layout.SINGLE;
    }

    /**
     * Rejects a config this stage cannot run, before anything is loaded. (A stage's chat data needs a
     * template: a named one, or the model's own chat template parsed as LLaMA-Factory parses it; the
     * data path checks that once the tokenizer is loaded.)
     */
    default void checkConfig(JtuneConfig config) {}

    /** Whether do_predict (generating replies to the evaluation prompts) applies to this stage. */
    default boolean predicts() {
        return false;
    }

    /**
     * Whether do_predict scores the evaluation examples within the run (rm: each pair's chosen and
     * rejected scores, {@link RewardPrediction}) instead of generating replies after it.
     */
    default boolean predictsScores() {
        return false;
    }

    /** The log_history keys plot_loss draws, as LLaMA-Factory's workflow for the stage lists them. */
    default List<String> plotKeys() {
        return List.of("loss", "eval_loss");
    }

    /**
     * Whether the stage trains over several workers ({@link TrainWorkflow#asWorkerOf}): the standard run
     * does; a stage that makes its batches while it trains (grpo) does not yet.
     */
    default boolean trainsDataParallel() {
        return true;
    }

    /** Runs the stage: by default training (or evaluating) one model on {@link #objective()}. */
    default TrainWorkflow.Result run(WorkflowContext context) throws IOException {
        return new StandardRun(this, context).run();
    }
}
