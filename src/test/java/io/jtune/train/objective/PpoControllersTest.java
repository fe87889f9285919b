package io.jtune.train.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The adaptive KL coefficient and ppo_score_norm's running moments, by hand from TRL's definitions. */
class PpoControllersTest {
    @Test
    void theKlCoefficientMovesTowardsTheTargetByAtMostTwentyPercentOfRolloutsOverHorizon() {
        KlController kl = new KlController(0.2, 6.0, 10000);
        kl.update(12.0, 256);                       // error clipped to +0.2
        assertEquals(0.2 * (1 + 0.2 * 256 / 10000), kl.value(), 1e-15);
        double before = kl.value();
        kl.update(4.5, 256);                        // kl / target − 1 = −0.25 → −0.2
        assertEquals(before * (1 - 0.2 * 256 / 10000), kl.value(), 1e-15);
        before = kl.value();
        kl.update(6.6, 100);                        // +0.1, within the clip
        assertEquals(before * (1 + 0.1 * 100 / 10000), kl.value(), 1e-15);
        KlController fixed = new KlController(0.2, null, 10000);
        fixed.update(100, 256);
        assertEquals(0.2, fixed.value(), 0.0);
    }

    @Test
    void scoresAreNormalisedByTheMomentsOfEveryScoreSoFar() {
        ScoreNormalizer norm = new ScoreNormalizer();
        double eps = Math.ulp(1.0f);
        // the first batch: mean 2, unbiased std 1 (the prior count is 1e-24)
        assertArrayEquals(new double[] {-1 / (1 + eps), 0, 1 / (1 + eps)}, norm.normalise(new double[] {1, 2, 3}), 1e-12);
        // after {1, 2, 3, 5, 9}: mean 4, unbiased variance (9 + 4 + 1 + 1 + 25) / 4 = 10
        double std = Math.sqrt(10);
        assertArrayEquals(new double[] {(5 - 4) / (std + eps), (9 - 4) / (std + eps)}, norm.normalise(new double[] {5, 9}), 1e-12);
    }

    @Test
    void whiteningUsesTheUnbiasedVarianceAndCanKeepTheMean() {
        double[] x = {1, 2, 3, 6};
        double mean = 3, var = (4 + 1 + 0 + 9) / 3.0;
        double[] w = Moments.whiten(x, true), kept = Moments.whiten(x, false);
        for (int i = 0; i < x.length; i++) {
            assertEquals((x[i] - mean) / Math.sqrt(var + 1e-8), w[i], 1e-12);
            assertEquals((x[i] - mean) / Math.sqrt(var + 1e-8) + mean, kept[i], 1e-12);
        }
    }
}
