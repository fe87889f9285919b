package io.jtune.train;

import io.jtune.JtuneException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Watches metric_for_best_model across evaluations, as the HF Trainer and its EarlyStoppingCallback
 * do: the best value so far, the step that reached it and that step's checkpoint (trainer_state.json's
 * best_metric, best_global_step, best_model_checkpoint), and the early-stopping patience counter.
 *
 * <p>A value is better only when strictly greater (greater_is_better) or strictly smaller: a tie is no
 * improvement. The patience counter is compared against the best before the evaluation being
 * observed, as the callback runs before the Trainer records a new best; it resets on an improvement
 * and otherwise counts one more evaluation without one.
 */
public final class MetricWatch {
    /**
     * @param metric          the metric as configured, with or without the eval_ prefix
     * @param greaterIsBetter whether a greater value is better
     * @param patience        early_stopping_steps: evaluations without improvement before training stops; null for none
     */
    public record Settings(String metric, boolean greaterIsBetter, Integer patience) {
        public Settings {
            if (patience != null && patience < 1) throw new IllegalArgumentException("patience must be at least 1: " + patience);
        }

        /** The key in an evaluation's results: the HF Trainer prefixes eval_ when the name lacks it. */
        public String key() {
            return metric.startsWith("eval_") ? metric : "eval_" + metric;
        }
    }

    /**
     * What trainer_state.json records of the watch.
     *
     * @param bestMetric       null before the first evaluation
     * @param bestGlobalStep   null before the first evaluation
     * @param bestCheckpoint   the checkpoint saved at bestGlobalStep; null when that step saved none
     * @param patience         early_stopping_steps, null without early stopping
     * @param patienceCounter  evaluations since the last improvement
     */
    public record State(Double bestMetric, Integer bestGlobalStep, Path bestCheckpoint, Integer patience, int patienceCounter) {}

    private final Settings settings;
    private Double bestMetric;
    private Integer bestGlobalStep;
    private Path bestCheckpoint;
    private int patienceCounter;

    public MetricWatch(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** Whether {@code value} improves on {@code best} (strictly; null = nothing yet, which any number improves on). */
    public boolean improves(double value, Double best) {
        if (Double.isNaN(value)) return false;
        if (best == null) return true;
        return settings.greaterIsBetter() ? value > best : value < best;
    }

    /**
     * Takes an evaluation's results at {@code step} and returns whether its metric is a new best.
     *
     * @param evalLoss the evaluation's eval_loss
     * @param metrics  the objective's metrics, named without the eval_ prefix
     * @throws JtuneException when the evaluation has no such metric
     */
    public boolean observe(int step, double evalLoss, Map<String, Double> metrics) {
        double value = valueOf(evalLoss, metrics);
        boolean better = improves(value, bestMetric);
        patienceCounter = better ? 0 : patienceCounter + 1;
        if (better) {
            bestMetric = value;
            bestGlobalStep = step;
            bestCheckpoint = null; // until this step's checkpoint is saved
        }
        return better;
    }

    /** The metric's value in an evaluation: eval_loss, or eval_ + an objective metric. */
    double valueOf(double evalLoss, Map<String, Double> metrics) {
        String key = settings.key();
        if (key.equals("eval_loss")) return evalLoss;
        Double v = metrics.get(key.substring("eval_".length()));
        if (v == null) {
            List<String> available = new ArrayList<>();
            available.add("eval_loss");
            new TreeMap<>(metrics).keySet().forEach(name -> available.add("eval_" + name));
            throw new JtuneException("metric_for_best_model: " + settings.metric() + " is not among the evaluation metrics of this run ("
                    + String.join(", ", available) + "); set it to one of them");
        }
        return v;
    }

    /** Whether the best so far was reached at {@code step}. */
    public boolean bestAt(int step) {
        return bestGlobalStep != null && bestGlobalStep == step;
    }

    /** A checkpoint was saved at {@code step}: it is the best model's when the best was reached at that step. */
    public void checkpointSaved(int step, Path checkpoint) {
        if (bestAt(step)) bestCheckpoint = checkpoint;
    }

    /** Whether early stopping is on and the patience is used up: training should stop. */
    public boolean patienceExhausted() {
        return settings.patience() != null && patienceCounter >= settings.patience();
    }

    public State state() {
        return new State(bestMetric, bestGlobalStep, bestCheckpoint, settings.patience(), patienceCounter);
    }

    /** Continues from the state a resumed checkpoint recorded. */
    public void restore(State saved) {
        bestMetric = saved.bestMetric();
        bestGlobalStep = saved.bestGlobalStep();
        bestCheckpoint = saved.bestCheckpoint();
        patienceCounter = saved.patienceCounter();
    }
}
