package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.io.hf.MetricsFiles;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.ForwardOutput;
import io.jtune.train.objective.Loss;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.RewardObjective;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stage rm's do_predict, as LLaMA-Factory's run_rm and its PairwiseTrainer.save_predictions: the
 * reward model scores every evaluation pair, and output_dir gets
 * <ul>
 *   <li>generated_predictions.jsonl — one {"chosen": s, "rejected": s} line per pair, in the
 *       evaluation set's order, each score rounded to 2 decimals;</li>
 *   <li>predict_results.json (and all_results.json) — predict_loss, predict_accuracy and HF's
 *       predict_runtime, predict_samples_per_second, predict_steps_per_second.</li>
 * </ul>
 */
final class RewardPrediction {
    static final String PREDICTIONS_FILE = "generated_predictions.jsonl";

    private RewardPrediction() {}

    /** Scores the pairs of {@code batches} (the evaluation set, pairs layout) with the model as it is now. */
    static void run(CausalLM model, Objective objective, List<Batch> batches, Path outputDir, int batchSize, PrintStream log)
            throws IOException {
        if (batches.isEmpty()) throw new JtuneException("do_predict: no evaluation pairs to score; set eval_dataset or val_size");
        RewardObjective reward = (RewardObjective) objective;
        long began = System.nanoTime();
        StringBuilder lines = new StringBuilder();
        double lossSum = 0, correct = 0;
        int pairs = 0;
        for (Batch b : batches) {
            ForwardOutput out = model.forward(b, model.adapter(), false, reward.hiddenPositions(b));
            Loss loss = reward.loss(out);
            double[] scores = reward.scores(out);
            int n = scores.length / 2;
            for (int i = 0; i < n; i++) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("chosen", PythonJson.round(scores[i], 2));
                line.put("rejected", PythonJson.round(scores[n + i], 2));
                lines.append(PythonJson.dumps(line)).append('\n');
                if (scores[i] > scores[n + i]) correct++;
            }
            lossSum += loss.sum();
            pairs += n;
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        Files.createDirectories(outputDir);
        AtomicFiles.writeString(outputDir.resolve(PREDICTIONS_FILE), lines.toString());
        Map<String, Object> metrics = new TreeMap<>();
        metrics.put("predict_loss", lossSum / pairs);
        metrics.put("predict_accuracy", correct / pairs);
        metrics.putAll(MetricsFiles.speed("predict", seconds, pairs, (pairs + batchSize - 1) / batchSize, 0));
        MetricsFiles.save(outputDir, "predict", metrics);
        log.println("***** predict metrics *****");
        metrics.forEach((k, v) -> log.printf("  %-28s = %s%n", k, v));
        log.println("Saved the scores of " + pairs + " pair(s) to " + outputDir.resolve(PREDICTIONS_FILE).toAbsolutePath());
    }
}
