package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Learning rates per optimizer step, compared with the HF Trainer loop (torch LambdaLR with
 * transformers' formulas): src/test/python/lr_schedule_goldens.py printed the expected values.
 */
class LearningRateScheduleTest {
    private static void assertRates(LearningRateSchedule s, double[] expected) {
        for (int step = 0; step < expected.length; step++) {
            double actual = s.learningRate(step);
            assertEquals(expected[step], actual, 1e-12 * Math.max(1e-3, Math.abs(expected[step])),
                    s.type() + " at step " + step);
        }
    }

    @Test
    void linearWarmsUpFromZeroThenDecaysToZero() {
        assertRates(LearningRateSchedule.create("linear", 1e-3, LearningRateSchedule.warmupSteps(0, 0.1, 10), 10, Map.of()),
                new double[] {0.0, 0.001, 0.0008888888888888888, 0.0007777777777777778, 0.0006666666666666666, 0.0005555555555555556,
                    0.0004444444444444444, 0.0003333333333333333, 0.0002222222222222222, 0.0001111111111111111, 0.0});
    }

    @Test
    void cosineHalfWave() {
        assertRates(LearningRateSchedule.create("cosine", 2e-4, LearningRateSchedule.warmupSteps(0, 0.3, 7), 7, Map.of()),
                new double[] {0.0, 6.666666666666667e-05, 0.00013333333333333334, 0.0002, 0.00017071067811865476, 0.0001,
                    2.9289321881345254e-05, 0.0});
    }

    @Test
    void cosineWithMinLrByRateOrByValue() {
        double[] expected = {0.0, 5e-05, 0.0001, 8.681980515339464e-05, 5.500000000000001e-05, 2.3180194846605367e-05, 1e-05};
        assertRates(LearningRateSchedule.create("cosine_with_min_lr", 1e-4, 2, 6, Map.of("min_lr_rate", 0.1)), expected);
        assertRates(LearningRateSchedule.create("cosine_with_min_lr", 1e-4, 2, 6, Map.of("min_lr", 1e-5)), expected);
    }

    @Test
    void constantSchedules() {
        assertRates(LearningRateSchedule.create("constant_with_warmup", 5e-5, 2, 5, Map.of()),
                new double[] {0.0, 2.5e-05, 5e-05, 5e-05, 5e-05, 5e-05});
        // transformers' get_scheduler hands "constant" no warmup at all, even when warmup steps are set
        assertRates(LearningRateSchedule.create("constant", 5e-5, 3, 4, Map.of()), new double[] {5e-05, 5e-05, 5e-05, 5e-05, 5e-05});
    }

    @Test
    void polynomialRestartsAndInverseSqrt() {
        assertRates(LearningRateSchedule.create("polynomial", 1e-3, 1, 6, Map.of("lr_end", 1e-5, "power", 2L)),
                new double[] {0.0, 0.001, 0.0006436000000000001, 0.0003664, 0.00016840000000000003, 4.959999999999998e-05, 1e-05});
        assertRates(LearningRateSchedule.create("cosine_with_restarts", 1e-3, 1, 9, Map.of("num_cycles", 2L)),
                new double[] {0.0, 0.001, 0.0008535533905932737, 0.0005, 0.00014644660940672628, 0.001, 0.0008535533905932737, 0.0005,
                    0.00014644660940672628, 0.0});
        assertRates(LearningRateSchedule.create("inverse_sqrt", 1e-3, 2, 6, Map.of()),
                new double[] {0.0, 0.0005, 0.001, 0.0008164965809277262, 0.0007071067811865475, 0.0006324555320336759,
                    0.0005773502691896259});
    }

    @Test
    void warmupStepsFollowTheTrainer() {
        assertEquals(1, LearningRateSchedule.warmupSteps(0, 0.1, 10));
        assertEquals(3, LearningRateSchedule.warmupSteps(0, 0.3, 7));   // ceil(2.1)
        assertEquals(8, LearningRateSchedule.warmupSteps(0, 0.07, 100)); // ceil(7.000000000000001) = 8, as in Python
        assertEquals(5, LearningRateSchedule.warmupSteps(5, 0.5, 30));  // warmup_steps wins over warmup_ratio
        assertEquals(8, LearningRateSchedule.warmupSteps(0.25, 0, 30)); // a fraction in warmup_steps: ceil(7.5)
        assertEquals(0, LearningRateSchedule.warmupSteps(0, 0, 30));
    }

    @Test
    void badArgumentsAreClearErrors() {
        JtuneException e = assertThrows(JtuneException.class,
                () -> LearningRateSchedule.create("cosine_with_min_lr", 1e-4, 0, 10, Map.of("min_lr", 1e-6, "min_lr_rate", 0.1)));
        assertTrue(e.getMessage().contains("only one of min_lr and min_lr_rate"), e.getMessage());
        e = assertThrows(JtuneException.class, () -> LearningRateSchedule.create("polynomial", 1e-6, 0, 10, Map.of("lr_end", 1e-5)));
        assertTrue(e.getMessage().contains("lr_end (1.0E-5) must be smaller than learning_rate"), e.getMessage());
        e = assertThrows(JtuneException.class, () -> LearningRateSchedule.create("warmup_stable_decay", 1e-4, 0, 10, Map.of()));
        assertTrue(e.getMessage().contains("not supported yet"), e.getMessage());
        e = assertThrows(JtuneException.class, () -> LearningRateSchedule.create("cosine", 1e-4, 0, 10, Map.of("num_cycles", "two")));
        assertTrue(e.getMessage().contains("num_cycles must be a number"), e.getMessage());
    }
}
