package io.jtune.infer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits as transformers' generate() does: first the logits processors
 * (repetition_penalty; OpenAI's presence/frequency penalties), then, when sampling, the warpers in
 * transformers' order — temperature, top_k, top_p — and a draw from the softmax of what is left.
 * Greedy decoding takes the argmax after the processors. Deterministic for a given seed.
 */
public final class Sampler {
    private final GenerationSettings settings;
    private final SplittableRandom random;

    public Sampler(GenerationSettings settings) {
        this.settings = settings;
        this.random = settings.seed() != null ? new SplittableRandom(settings.seed()) : new SplittableRandom();
    }

    /**
     * The next token. {@code logits} [vocab] is modified in place.
     *
     * @param context   every token so far, prompt and reply (repetition_penalty looks at both)
     * @param replyFrom where the reply starts in {@code context} (the OpenAI penalties look at the reply only)
     */
    public int next(float[] logits, int[] context, int contextLength, int replyFrom) {
        applyRepetitionPenalty(logits, context, contextLength, settings.repetitionPenalty());
        applyOpenAiPenalties(logits, context, replyFrom, contextLength);
        if (!settings.samples()) return argmax(logits);
        float t = (float) settings.temperature();
        if (t != 1f) for (int i = 0; i < logits.length; i++) logits[i] /= t;
        if (settings.topK() > 0) applyTopK(logits, settings.topK());
        if (settings.topP() < 1) applyTopP(logits, settings.topP());
        return draw(logits);
    }

    /** transformers' RepetitionPenaltyLogitsProcessor: seen tokens' logits divided by the penalty when positive, multiplied when negative. */
    static void applyRepetitionPenalty(float[] logits, int[] context, int length, double penalty) {
        if (penalty == 1.0) return;
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < length; i++) {
            int id = context[i];
            if (id < 0 || id >= logits.length || seen[id]) continue;
            seen[id] = true;
            float l = logits[id];
            logits[id] = (float) (l < 0 ? l * penalty : l / penalty);
        }
    }

    /** OpenAI: logit −= presence·[count > 0] + frequency·count over the tokens generated so far. */
    private void applyOpenAiPenalties(float[] logits, int[] context, int from, int to) {
        double presence = settings.presencePenalty(), frequency = settings.frequencyPenalty();
        if (presence == 0 && frequency == 0) return;
        int[] counts = new int[logits.length];
        for (int i = from; i < to; i++) if (context[i] >= 0 && context[i] < logits.length) counts[context[i]]++;
        for (int id = 0; id < logits.length; id++) {
            if (counts[id] > 0) logits[id] -= (float) (presence + frequency * counts[id]);
        }
    }

    /** The greedy choice: the first index of the largest logit. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** transformers' TopKLogitsWarper: everything below the k-th largest logit is removed (ties stay). */
    static void applyTopK(float[] logits, int k) {
        if (k >= logits.length) return;
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * transformers' TopPLogitsWarper: in ascending order of probability, remove tokens while the
     * cumulative probability stays ≤ 1 − top_p; the most likely token always stays.
     */
    static void applyTopP(float[] logits, double topP) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[a], logits[b]));
        double[] probs = softmax(logits);
        double cumulative = 0;
        for (int r = 0; r < n - 1; r++) {
            int id = order[r];
            cumulative += probs[id];
            if (cumulative <= 1 - topP) logits[id] = Float.NEGATIVE_INFINITY;
            else break;
        }
    }

    static double[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    private int draw(float[] logits) {
        double[] p = softmax(logits);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            cumulative += p[i];
            last = i;
            if (u < cumulative) return i;
        }
        return last;  // rounding left u just above the total
    }
}
