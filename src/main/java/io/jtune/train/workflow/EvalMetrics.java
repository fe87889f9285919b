package io.jtune.train.workflow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An evaluation as the HF Trainer names it in its logs and results files: eval_loss, then eval_ + each metric. */
final class EvalMetrics {
    private EvalMetrics() {}

    static Map<String, Object> of(double evalLoss, Map<String, Double> metrics) {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("eval_loss", evalLoss);
        metrics.forEach((name, value) -> named.put("eval_" + name, value));
        return named;
    }

    /** The names the metrics get in an evaluation's log dict, in the order of {@code metrics}. */
    static List<String> metricKeys(Map<String, Double> metrics) {
        return metrics.keySet().stream().map(name -> "eval_" + name).toList();
    }
}
