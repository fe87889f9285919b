package io.jtune.train;

import io.jtune.model.Batch;
import io.jtune.train.objective.Loss;
import io.jtune.train.objective.Metric;
import io.jtune.train.objective.ObjectiveRunner;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One evaluation pass of an objective over the evaluation batches, as the HF Trainer's evaluate()
 * reports it. The Trainer runs it during and after training; an evaluation-only run runs it alone,
 * so both report the same numbers.
 *
 * @param loss    HF's eval_loss: the mean of the batches' mean losses, weighted by their number of examples
 * @param metrics the objective's metrics, named without the "eval_" prefix, pooled over all batches
 *                (their sums and counts added, then divided)
 */
public record Evaluation(double loss, Map<String, Double> metrics) {
    public Evaluation {
        metrics = Collections.unmodifiableSortedMap(new TreeMap<>(metrics)); // by name, so logs list them in a stable order
    }

    /** Evaluates every batch in order; null when no batch has a unit to average over (no labels at all). */
    public static Evaluation run(ObjectiveRunner objective, List<Batch> batches) {
        double weighted = 0;
        long examples = 0;
        Map<String, Metric> sums = new TreeMap<>();
        for (Batch b : batches) {
            double units = objective.objective().normaliser(b);
            Loss l = objective.evaluate(b);
            // a batch without labels still counts towards the metrics: they need not be about labels
            l.metrics().forEach((name, m) -> sums.merge(name, m, Metric::plus));
            if (units == 0) continue;
            weighted += l.sum() / units * b.batchSize();
            examples += b.batchSize();
        }
        if (examples == 0) return null;
        Map<String, Double> values = new TreeMap<>();
        sums.forEach((name, m) -> values.put(name, m.value()));
        return new Evaluation(weighted / examples, values);
    }
}
