package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float NEG = Float.NEGATIVE_INFINITY;

    private static GenerationSettings sampling(double temperature, double topP, int topK, long seed) {
        return new GenerationSettings(true, temperature, topP, topK, 1.0, 0, 0, 10, seed);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce() {
        float[] logits = {2f, -2f, 1f, 4f};
        Sampler.applyRepetitionPenalty(logits, new int[] {0, 1, 1, 0, 9}, 4, 2.0);
        assertArrayEquals(new float[] {1f, -4f, 1f, 4f}, logits);
    }

    @Test
    void greedyTakesTheArgmaxAfterThePenalty() {
        GenerationSettings greedy = new GenerationSettings(false, 0.95, 0.7, 50, 3.0, 0, 0, 10, null);
        // Token 0 leads, but it was already in the context: 3 / 3 = 1 < 2.
        assertEquals(1, new Sampler(greedy).next(new float[] {3f, 2f, 0f}, new int[] {0}, 1, 1));
        assertEquals(0, new Sampler(GenerationSettings.greedy(5)).next(new float[] {3f, 2f, 0f}, new int[] {0}, 1, 1));
    }

    @Test
    void topKKeepsTiesAtTheKthValue() {
        float[] logits = {1f, 5f, 3f, 3f, 0f};
        Sampler.applyTopK(logits, 2);
        assertArrayEquals(new float[] {NEG, 5f, 3f, 3f, NEG}, logits);
    }

    @Test
    void topPRemovesTheUnlikelyTailAsTransformersDoes() {
        // probabilities 0.5, 0.25, 0.125, 0.125 (log-space logits)
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.125), (float) Math.log(0.125)};
        float[] p70 = logits.clone();
        Sampler.applyTopP(p70, 0.7);  // tail mass 0.125+0.125 = 0.25 <= 0.3 goes, 0.5 > 0.3 stays
        assertEquals(NEG, p70[2]);
        assertEquals(NEG, p70[3]);
        assertTrue(p70[1] > NEG);
        float[] p0 = logits.clone();
        Sampler.applyTopP(p0, 0.0);   // only the most likely token stays
        assertEquals(1, java.util.stream.IntStream.range(0, 4).filter(i -> p0[i] > NEG).count());
        assertTrue(p0[0] > NEG);
    }

    @Test
    void partialSelectionRemovesWhatSortingTheWholeVocabularyRemoves() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(trial < 150 ? 40 : 5000);
            float[] logits = new float[n];
            double spread = new double[] {0.1, 2, 8, 30}[trial % 4];   // flat to peaked distributions
            for (int i = 0; i < n; i++) logits[i] = (float) (rnd.nextGaussian() * spread);
            if (trial % 5 == 0) for (int i = 0; i < n; i += 3) logits[i] = logits[n / 2];   // ties
            if (trial % 7 == 0) for (int i = 0; i < n; i += 2) logits[i] = NEG;             // removed by an earlier warper
            int k = 1 + rnd.nextInt(n + 2);
            float[] topK = logits.clone(), topKSorted = logits.clone();
            Sampler.applyTopK(topK, k);
            topKBySorting(topKSorted, k);
            assertArrayEquals(topKSorted, topK, "top_k " + k + " of " + n + ", trial " + trial);
            double p = new double[] {0.0, 0.3, 0.7, 0.9, 0.99}[trial % 5];
            float[] topP = logits.clone(), topPSorted = logits.clone();
            Sampler.applyTopP(topP, p);
            topPBySorting(topPSorted, p);
            assertArrayEquals(topPSorted, topP, "top_p " + p + " of " + n + ", trial " + trial);
        }
    }

    /** The reference: the whole vocabulary sorted, as transformers does. */
    private static void topKBySorting(float[] logits, int k) {
        if (k >= logits.length) return;
        float[] sorted = logits.clone();
        java.util.Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = NEG;
    }

    private static void topPBySorting(float[] logits, double topP) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[a], logits[b]));
        double[] probs = Sampler.softmax(logits);
        double cumulative = 0;
        for (int r = 0; r < n - 1; r++) {
            cumulative += probs[order[r]];
            if (cumulative <= 1 - topP) logits[order[r]] = NEG;
            else break;
        }
    }

    @Test
    void seededSamplingIsReproducibleAndFollowsTheSoftmax() {
        float[] logits = {0f, (float) Math.log(3), NEG};
        int[] counts = new int[3];
        Sampler a = new Sampler(sampling(1.0, 1.0, 0, 42)), b = new Sampler(sampling(1.0, 1.0, 0, 42));
        for (int i = 0; i < 20000; i++) {
            int x = a.next(logits.clone(), new int[0], 0, 0);
            assertEquals(x, b.next(logits.clone(), new int[0], 0, 0));
            counts[x]++;
        }
        assertEquals(0, counts[2]);
        assertEquals(0.75, counts[1] / 20000.0, 0.015);
        // A low temperature sharpens the distribution towards the argmax.
        Sampler cold = new Sampler(sampling(0.1, 1.0, 0, 7));
        int ones = 0;
        for (int i = 0; i < 2000; i++) if (cold.next(logits.clone(), new int[0], 0, 0) == 1) ones++;
        assertTrue(ones > 1990, "cold sampling picked the argmax " + ones + " times of 2000");
    }

    @Test
    void settingsTakeTheRequestsFieldsOverTheConfig() {
        GenerationSettings config = new GenerationSettings(true, 0.95, 0.7, 50, 1.0, 0, 0, 1024, null);
        GenerationSettings r = config.with(new SamplingParams(false, 0.5, null, 3, 20, java.util.List.of(), 9L, null, null, 1.2));
        assertEquals(new GenerationSettings(false, 0.5, 0.7, 3, 1.2, 0, 0, 20, 9L), r);
        assertEquals(config, config.with(SamplingParams.DEFAULTS));
    }
}
