package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.data.DataModule;
import io.jtune.data.TokenizedExample;
import io.jtune.train.EvalBatches;
import io.jtune.train.Evaluation;
import io.jtune.train.objective.Objective;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Evaluation of the online stages (grpo, ppo): the held-out prompts (eval_dataset, or val_size split from
 * the dataset) are completed by the policy of the moment and scored, and the stage's objective reports
 * its loss and metrics over them under eval_ names (eval_reward, ...), during training as eval_strategy
 * says and, with do_eval alone, once for the model as loaded.
 */
final class RlEvaluation {
    private RlEvaluation() {}

    /** The held-out prompts. */
    static List<TokenizedExample> heldOut(DataModule data) {
        return data.eval().getOrDefault("validation", List.of());
    }

    /** do_eval without do_train: one evaluation of the model as loaded, written to eval_results.json. */
    static TrainWorkflow.Result only(TrainableModel model, Objective objective, EvalBatches eval, Path outputDir) throws IOException {
        if (eval.isEmpty()) throw new JtuneException("do_eval: no held-out prompts left after preprocessing");
        Evaluation result = EvaluationOnly.run(model.model(), objective, eval.make(), outputDir);
        return result == null ? new TrainWorkflow.Result(outputDir, null, null)
                : new TrainWorkflow.Result(outputDir, null, result.loss(), result.metrics());
    }
}
