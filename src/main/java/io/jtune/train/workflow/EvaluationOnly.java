package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.io.hf.MetricsFiles;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.train.Evaluation;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.ObjectiveRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * do_eval without do_train: one evaluation of the model as loaded (the base, or the base with
 * adapter_name_or_path) on the stage's objective, written to eval_results.json and all_results.json
 * as eval_loss, eval_ + each metric's name, and HF's eval_runtime, eval_samples_per_second and
 * eval_steps_per_second.
 */
final class EvaluationOnly {
    private EvaluationOnly() {}

    /** The evaluation, or null when no batch had a label to score (then nothing is written). */
    static Evaluation run(CausalLM model, Objective objective, List<Batch> batches, Path outputDir) throws IOException {
        if (batches.isEmpty()) throw new JtuneException("do_eval: no evaluation data; set val_size or eval_dataset");
        long began = System.nanoTime();
        Evaluation result = Evaluation.run(new ObjectiveRunner(model, objective), batches);
        if (result != null) {
            double runtime = (System.nanoTime() - began) / 1e9;
            long samples = 0;
            for (Batch b : batches) samples += b.batchSize();
            var metrics = EvalMetrics.of(result.loss(), result.metrics());
            metrics.putAll(MetricsFiles.speed("eval", runtime, samples, batches.size(), 0)); // as HF's evaluate() reports it
            MetricsFiles.save(outputDir, "eval", metrics);
        }
        return result;
    }
}
