package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison, best-model and early-stopping rules of the HF Trainer and its EarlyStoppingCallback. */
class MetricWatchTest {
    private static MetricWatch watch(String metric, boolean greaterIsBetter, Integer patience) {
        return new MetricWatch(new MetricWatch.Settings(metric, greaterIsBetter, patience));
    }

    @Test
    void theMetricIsLookedUpWithTheEvalPrefixWhetherOrNotItIsGiven() {
        assertEquals("eval_loss", new MetricWatch.Settings("loss", false, null).key());
        assertEquals("eval_loss", new MetricWatch.Settings("eval_loss", false, null).key());
        assertEquals("eval_rewards/accuracies", new MetricWatch.Settings("rewards/accuracies", true, null).key());
        assertEquals("eval_accuracy", new MetricWatch.Settings("eval_accuracy", true, null).key());
        MetricWatch w = watch("eval_rewards/accuracies", true, null);
        assertEquals(0.75, w.valueOf(0.3, Map.of("rewards/accuracies", 0.75)));
        assertEquals(0.3, watch("loss", false, null).valueOf(0.3, Map.of("rewards/accuracies", 0.75)));
    }

    @Test
    void onlyAStrictImprovementInTheRightDirectionCounts() {
        MetricWatch lower = watch("loss", false, null);
        assertTrue(lower.improves(1.0, null), "anything improves on nothing");
        assertTrue(lower.improves(0.9, 1.0));
        assertFalse(lower.improves(1.0, 1.0), "a tie is no improvement");
        assertFalse(lower.improves(1.1, 1.0));
        MetricWatch higher = watch("accuracy", true, null);
        assertTrue(higher.improves(0.6, 0.5));
        assertFalse(higher.improves(0.5, 0.5));
        assertFalse(higher.improves(0.4, 0.5));
        assertFalse(lower.improves(Double.NaN, null), "NaN is never the best");
        assertFalse(higher.improves(Double.NaN, 0.5));
    }

    @Test
    void theBestIsTheFirstStepThatReachedItsValueAndItsCheckpointIsThatStepsOnly() {
        MetricWatch w = watch("loss", false, null);
        assertTrue(w.observe(2, 1.0, Map.of()));
        w.checkpointSaved(2, Path.of("out/checkpoint-2"));
        assertTrue(w.observe(4, 0.8, Map.of()));
        assertNull(w.state().bestCheckpoint(), "step 4 has no checkpoint yet");
        w.checkpointSaved(3, Path.of("out/checkpoint-3"));
        assertNull(w.state().bestCheckpoint(), "a checkpoint of another step is not the best model's");
        w.checkpointSaved(4, Path.of("out/checkpoint-4"));
        assertFalse(w.observe(6, 0.8, Map.of()), "equal to the best: not a new best");
        w.checkpointSaved(6, Path.of("out/checkpoint-6"));
        MetricWatch.State s = w.state();
        assertEquals(0.8, s.bestMetric());
        assertEquals(4, s.bestGlobalStep());
        assertEquals(Path.of("out/checkpoint-4"), s.bestCheckpoint());
    }

    @Test
    void patienceCountsConsecutiveEvaluationsWithoutImprovementAndResetsOnOne() {
        MetricWatch w = watch("eval_accuracy", true, 2);
        assertTrue(w.observe(1, 9, Map.of("accuracy", 0.5)));
        assertFalse(w.observe(2, 9, Map.of("accuracy", 0.5)));
        assertEquals(1, w.state().patienceCounter());
        assertFalse(w.patienceExhausted());
        assertTrue(w.observe(3, 9, Map.of("accuracy", 0.75)), "an improvement resets the count");
        assertEquals(0, w.state().patienceCounter());
        assertFalse(w.observe(4, 9, Map.of("accuracy", 0.25)));
        assertFalse(w.patienceExhausted());
        assertFalse(w.observe(5, 9, Map.of("accuracy", 0.75)), "back to the best is not better");
        assertTrue(w.patienceExhausted(), "two evaluations in a row without improvement");
        assertEquals(3, w.state().bestGlobalStep());
        assertFalse(watch("loss", false, null).patienceExhausted(), "no patience: never stops");
    }

    @Test
    void aMetricTheEvaluationLacksIsAnErrorListingThoseItHas() {
        MetricWatch w = watch("rewards/accuracy", true, null);
        JtuneException e = assertThrows(JtuneException.class, () -> w.observe(1, 0.5, Map.of("rewards/accuracies", 1.0, "logps/chosen", -3.0)));
        assertTrue(e.getMessage().contains("metric_for_best_model: rewards/accuracy is not among the evaluation metrics"), e.getMessage());
        assertTrue(e.getMessage().contains("eval_loss, eval_logps/chosen, eval_rewards/accuracies"), e.getMessage());
    }

    @Test
    void aRestoredStateContinuesTheCount() {
        MetricWatch w = watch("loss", false, 3);
        w.restore(new MetricWatch.State(0.5, 10, Path.of("o/checkpoint-10"), 3, 2));
        assertFalse(w.observe(12, 0.6, Map.of()));
        assertTrue(w.patienceExhausted());
        assertEquals(Path.of("o/checkpoint-10"), w.state().bestCheckpoint());
    }
}
