package io.jtune.nn;

import static io.jtune.nn.GradCheck.check;
import static io.jtune.nn.GradCheck.project;
import static io.jtune.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** MoE routing (softmax, top-k, renormalisation) against its definition and finite differences. */
class MoeRoutingTest {
    private static final int N = 7, EXPERTS = 6, K = 2;

    /** Logits whose experts are at least 0.5 apart within a token, so a small step never changes the choice. */
    private static float[] separatedLogits(Random rnd) {
        float[] logits = new float[N * EXPERTS];
        for (int t = 0; t < N; t++) {
            int[] order = {0, 1, 2, 3, 4, 5};
            for (int i = EXPERTS - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1), tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int e = 0; e < EXPERTS; e++) logits[t * EXPERTS + order[e]] = 0.6f * e + 0.1f * (float) rnd.nextGaussian();
        }
        return logits;
    }

    @Test
    void forwardIsSoftmaxThenTopKThenRenormalisation() {
        float[] logits = {0.5f, 2f, -1f, 1.5f, 0f, 1f};
        float[] probs = new float[6], weights = new float[2], sums = new float[1];
        int[] selected = new int[2];
        MoeRouting.forward(logits, 1, 6, 2, true, probs, selected, weights, sums);
        double z = 0;
        for (float l : logits) z += Math.exp(l);
        for (int e = 0; e < 6; e++) assertEquals(Math.exp(logits[e]) / z, probs[e], 1e-6);
        assertArrayEquals(new int[] {1, 3}, selected, "largest first");
        double p1 = Math.exp(2) / z, p3 = Math.exp(1.5) / z;
        assertEquals(p1 + p3, sums[0], 1e-6);
        assertEquals(p1 / (p1 + p3), weights[0], 1e-6);
        assertEquals(p3 / (p1 + p3), weights[1], 1e-6);
        MoeRouting.forward(logits, 1, 6, 2, false, probs, selected, weights, sums);
        assertEquals(p1, weights[0], 1e-6, "without renormalisation the weights are the probabilities");
    }

    @Test
    void backwardMatchesFiniteDifferencesWithAndWithoutRenormalisation() {
        for (boolean renormalise : new boolean[] {true, false}) {
            Random rnd = new Random(renormalise ? 11 : 12);
            float[] logits = separatedLogits(rnd);
            float[] rWeights = random(rnd, N * K, 1f), rProbs = random(rnd, N * EXPERTS, 0.5f);
            float[] probs = new float[N * EXPERTS], weights = new float[N * K], sums = new float[N];
            int[] selected = new int[N * K];
            int[] chosen = new int[N * K];
            DoubleSupplier loss = () -> {
                MoeRouting.forward(logits, N, EXPERTS, K, renormalise, probs, selected, weights, sums);
                assertArrayEquals(chosen, selected, "the step changed no token's experts");
                return project(weights, rWeights, N * K) + project(probs, rProbs, N * EXPERTS);
            };
            MoeRouting.forward(logits, N, EXPERTS, K, renormalise, probs, chosen, weights, sums);
            loss.getAsDouble();
            float[] dLogits = new float[N * EXPERTS];
            MoeRouting.backward(rWeights, rProbs, probs, selected, weights, sums, N, EXPERTS, K, renormalise, dLogits);
            check("routing dlogits renormalise=" + renormalise, logits, dLogits, loss);
        }
    }
}
