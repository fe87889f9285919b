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

    /**
     * transformers' TopKLogitsWarper: everything below the k-th largest logit is removed (ties stay).
     * The k-th largest comes from a k-element min-heap, one pass over the vocabulary (O(n log k)),
     * not from sorting all of it; the order is Float.compare's, as a sort's would be.
     */
    static void applyTopK(float[] logits, int k) {
        if (k >= logits.length) return;
        float kth = kthLargest(logits, k);
        for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Float.NEGATIVE_INFINITY;
    }

    /** The k-th largest value (1 ≤ k ≤ length), counting repeats, in Float.compare's order. */
    static float kthLargest(float[] values, int k) {
        float[] heap = new float[k];   // the k largest seen so far, smallest at the root
        int size = 0;
        for (float v : values) {
            if (size < k) {
                int at = size++;
                while (at > 0 && Float.compare(v, heap[(at - 1) / 2]) < 0) {   // sift up
                    heap[at] = heap[(at - 1) / 2];
                    at = (at - 1) / 2;
                }
                heap[at] = v;
            } else if (Float.compare(v, heap[0]) > 0) {
                int at = 0;
                while (true) {   // sift the new value down from the root
                    int child = 2 * at + 1;
                    if (child >= k) break;
                    if (child + 1 < k && Float.compare(heap[child + 1], heap[child]) < 0) child++;
                    if (Float.compare(heap[child], v) >= 0) break;
                    heap[at] = heap[child];
                    at = child;
                }
                heap[at] = v;
            }
        }
        return heap[0];
    }

    /**
     * transformers' TopPLogitsWarper: in ascending order of probability, remove tokens while the
     * cumulative probability stays ≤ 1 − top_p; the most likely token always stays.
     *
     * <p>Only the likely end of the vocabulary is sorted: the tokens below a threshold whose total
     * probability is at most 1 − top_p are removed whatever their order (they form the start of the
     * ascending order, and even all of them stay within the mass to remove), so the walk starts
     * after them with their mass; the threshold drops until it qualifies, down to sorting everything
     * for a flat distribution. Among equal logits the lower index goes first, as in a stable sort.
     */
    static void applyTopP(float[] logits, double topP) {
        int n = logits.length;
        double[] probs = softmax(logits);
        double removable = 1 - topP;
        double max = 0;
        for (double p : probs) max = Math.max(max, p);
        if (!(max > 0)) return;   // every logit −∞: nothing to choose between
        double threshold = max * 1e-3, below;
        while (true) {
            below = 0;
            for (double p : probs) if (p < threshold) below += p;
            if (below <= removable || threshold == 0) break;
            threshold = threshold < 1e-30 ? 0 : threshold / 64;
        }
        if (threshold == 0) below = 0;
        int candidates = 0;
        for (double p : probs) if (p >= threshold) candidates++;
        long[] order = new long[candidates];   // ascending logit, then ascending index
        int c = 0;
        for (int i = 0; i < n; i++) if (probs[i] >= threshold) order[c++] = ((long) sortableBits(logits[i]) << 32) | i;
        Arrays.sort(order);
        for (int i = 0; i < n; i++) if (probs[i] < threshold) logits[i] = Float.NEGATIVE_INFINITY;
        double cumulative = below;
        for (int r = 0; r < candidates - 1; r++) {
            int id = (int) order[r];
            cumulative += probs[id];
            if (cumulative <= removable) logits[id] = Float.NEGATIVE_INFINITY;
            else break;
        }
    }

    /** The float's bits as a signed int that orders as Float.compare orders the floats. */
    private static int sortableBits(float f) {
        int bits = Float.floatToIntBits(f);
        return bits < 0 ? bits ^ 0x7fffffff : bits;
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
