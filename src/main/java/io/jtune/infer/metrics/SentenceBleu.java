package io.jtune.infer.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * nltk's sentence_bleu with one reference, the default weights (0.25, 0.25, 0.25, 0.25) and
 * SmoothingFunction().method3, as LLaMA-Factory calls it: modified n-gram precisions as exact
 * fractions, p_n = 0 replaced by 1 / (2^k · denominator) for the k-th zero (NIST geometric
 * smoothing), brevity penalty exp(1 - r/c) when c ≤ r (0 for an empty hypothesis), and the log
 * sum taken with math.fsum. Returns 0 when no unigram matches.
 */
public final class SentenceBleu {
    private static final int MAX_N = 4;
    private static final double WEIGHT = 0.25;

    private SentenceBleu() {}

    /** BLEU-4 in [0, 1] of a tokenized hypothesis against one tokenized reference. */
    public static double bleu4(List<String> reference, List<String> hypothesis) {
        long[] numerators = new long[MAX_N + 1];
        long[] denominators = new long[MAX_N + 1];
        for (int n = 1; n <= MAX_N; n++) {
            Map<String, Integer> hyp = ngramCounts(hypothesis, n);
            Map<String, Integer> ref = ngramCounts(reference, n);
            long clipped = 0;
            long total = 0;
            for (Map.Entry<String, Integer> e : hyp.entrySet()) {
                clipped += Math.min(e.getValue(), ref.getOrDefault(e.getKey(), 0));
                total += e.getValue();
            }
            numerators[n] = clipped;
            denominators[n] = Math.max(1, total); // nltk: "denominator is minimum 1"
        }
        if (numerators[1] == 0) return 0.0;
        double bp = brevityPenalty(reference.size(), hypothesis.size());
        double[] terms = new double[MAX_N];
        int k = 1; // method3's exponent, incremented at each zero precision
        for (int n = 1; n <= MAX_N; n++) {
            double p;
            if (numerators[n] == 0) {
                p = 1.0 / ((double) (1L << k) * denominators[n]);
                k++;
            } else {
                p = (double) numerators[n] / denominators[n];
            }
            terms[n - 1] = WEIGHT * Math.log(p);
        }
        return bp * Math.exp(ExactSum.fsum(terms));
    }

    /** nltk's brevity_penalty(closest_ref_len, hyp_len). */
    static double brevityPenalty(int refLength, int hypLength) {
        if (hypLength > refLength) return 1.0;
        if (hypLength == 0) return 0.0;
        return Math.exp(1 - (double) refLength / hypLength);
    }

    /** Counts of the n-grams of a token list; keys join tokens with U+0000, which tokens here never hold. */
    private static Map<String, Integer> ngramCounts(List<String> tokens, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(String.join("\u0000", tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return counts;
    }
}
