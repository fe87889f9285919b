package io.jtune.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sixteen-keys-at-a-time scores against VectorMath.dot per key, bit for bit: head sizes of one,
 * four and eight vectors and one that is not whole vectors (the fallback), runs of keys shorter
 * than, equal to and past a group of sixteen, starting anywhere in the cache.
 */
class KeyScoresTest {
    @Test
    void everyScoreHasTheBitsOfOneDotPerKey() {
        int l = VectorMath.S.length();
        SplittableRandom r = new SplittableRandom(7);
        for (int headDim : new int[] {l, 4 * l, 8 * l, 4 * l + 6}) {
            int kvHeads = 2, kvWidth = kvHeads * headDim, keys = 70;
            float[] q = new float[3 * headDim], k = new float[keys * kvWidth];
            for (int i = 0; i < q.length; i++) q[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < k.length; i++) k[i] = (float) r.nextDouble(-1, 1);
            float scale = (float) (1 / Math.sqrt(headDim));
            for (int first : new int[] {0, 3, 17}) {
                for (int last = first; last < keys; last += 5) {
                    for (int kvh = 0; kvh < kvHeads; kvh++) {
                        int qo = headDim, ko = kvh * headDim;
                        float[] scores = new float[last - first + 1];
                        KeyScores.compute(q, qo, k, ko, kvWidth, first, last, headDim, scale, scores);
                        for (int j = first; j <= last; j++) {
                            float expected = VectorMath.dot(q, qo, k, j * kvWidth + ko, headDim) * scale;
                            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scores[j - first]),
                                    "headDim " + headDim + " keys " + first + ".." + last + " key " + j);
                        }
                    }
                }
            }
        }
    }
}
