package io.jtune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** metric_for_best_model, greater_is_better, load_best_model_at_end, save_strategy best, early_stopping_steps: transformers' defaults and checks. */
class BestModelKeysTest {
    private static final String EVAL = "model_name_or_path: m\ndataset: d\nval_size: 0.1\neval_strategy: steps\neval_steps: 5\nsave_steps: 10\n";

    private static JtuneConfig load(String yaml, String... overrides) {
        java.util.Map<String, Object> m = new org.yaml.snakeyaml.Yaml().load(yaml);
        return ConfigLoader.fromMap("run.yaml", m, List.of(overrides));
    }

    private static String failure(String yaml, String... overrides) {
        return assertThrows(JtuneException.class, () -> load(yaml, overrides)).getMessage();
    }

    @Test
    void loadBestDefaultsTheMetricToLossAndLowerIsBetter() {
        TrainingArguments t = load(EVAL + "load_best_model_at_end: true\n").training();
        assertTrue(t.loadBestModelAtEnd());
        assertEquals("loss", t.metricForBestModel());
        assertFalse(t.greaterIsBetter());
        assertNull(load(EVAL).training().metricForBestModel(), "no metric is watched unless asked");
    }

    @Test
    void greaterIsBetterDefaultsByTheMetricsName() {
        assertFalse(load(EVAL + "metric_for_best_model: eval_loss\n").training().greaterIsBetter());
        assertFalse(load(EVAL + "metric_for_best_model: sft_loss\n").training().greaterIsBetter(), "transformers: a name ending in loss");
        assertTrue(load(EVAL + "metric_for_best_model: rewards/accuracies\n").training().greaterIsBetter());
        assertTrue(load(EVAL + "metric_for_best_model: eval_accuracy\n").training().greaterIsBetter());
        assertFalse(load(EVAL + "metric_for_best_model: accuracy\ngreater_is_better: false\n").training().greaterIsBetter(), "as given");
        assertEquals(3, load(EVAL + "metric_for_best_model: loss\nearly_stopping_steps: 3\n").finetuning().earlyStoppingSteps());
    }

    @Test
    void loadBestNeedsMatchingSaveAndEvalStrategies() {
        assertEquals("run.yaml: key 'load_best_model_at_end': requires the save and eval strategies to match (or save_strategy best),"
                + " but eval_strategy is steps and save_strategy is no", failure(EVAL + "load_best_model_at_end: true\nsave_strategy: 'no'\n"));
        assertEquals("run.yaml: key 'load_best_model_at_end': requires save_steps to be a round multiple of eval_steps, but save_steps 7"
                + " is not a multiple of eval_steps 5", failure(EVAL + "load_best_model_at_end: true\nsave_steps: 7\n"));
        assertTrue(failure(EVAL + "load_best_model_at_end: true\nsave_steps: 0.5\n").contains("one is a ratio of the total steps"));
        load(EVAL + "load_best_model_at_end: true\neval_steps: 0.25\nsave_steps: 0.5\n");
        load(EVAL + "load_best_model_at_end: true\nsave_strategy: best\nsave_steps: 7\n");
        load(EVAL + "load_best_model_at_end: true\neval_strategy: epoch\nsave_strategy: epoch\n");
    }

    @Test
    void watchingAMetricNeedsEvaluations() {
        String noEval = "model_name_or_path: m\n";
        assertEquals("run.yaml: key 'load_best_model_at_end': is set and needs evaluations to compare: set eval_strategy to steps"
                + " (with eval_steps) or epoch, and eval_dataset or val_size", failure(noEval + "load_best_model_at_end: true\n"));
        assertTrue(failure(noEval + "save_strategy: best\nmetric_for_best_model: loss\n")
                .startsWith("run.yaml: key 'save_strategy': best needs evaluations to compare"));
        assertTrue(failure(noEval + "early_stopping_steps: 2\nmetric_for_best_model: loss\n")
                .startsWith("run.yaml: key 'early_stopping_steps': is set and needs evaluations"));
    }

    @Test
    void saveBestAndEarlyStoppingNeedAMetric() {
        assertTrue(failure(EVAL + "save_strategy: best\n").startsWith("run.yaml: key 'save_strategy': best needs metric_for_best_model"));
        assertTrue(failure(EVAL + "early_stopping_steps: 3\n").startsWith("run.yaml: key 'early_stopping_steps': needs metric_for_best_model"));
        assertEquals("loss", load(EVAL + "early_stopping_steps: 3\nload_best_model_at_end: true\n").training().metricForBestModel());
        assertTrue(failure(EVAL + "early_stopping_steps: 0\nmetric_for_best_model: loss\n").contains("early_stopping_steps"));
    }
}
