package io.jtune.nn;

import jdk.incubator.vector.FloatVector;

/**
 * Attention of a few new query rows against a key/value cache: the generation-time counterpart
 * of {@link Attention}, which attends within one batch. New row i sits at absolute
 * position {@code past + i} and sees cached keys j ≤ past + i (and, with a sliding window w,
 * j > past + i − w) — the same mask training applies, so incremental decoding reproduces the
 * full-sequence forward.
 *
 * <p>No tiling or online softmax: one row's scores over the cache fit in a small array (a 32k
 * context is 128 KiB), so a plain two-pass softmax is both simplest and exact. The scores come from
 * {@link KeyScores} (sixteen keys at a time, each bit-identical to {@link VectorMath#dot}) and the
 * exponentials from the engine's vector {@code Exp}, as in training's {@link Attention}: scalar
 * {@code Math.exp} and one horizontal sum per key took about a third of the time of this kernel
 * (measured on the Qwen2.5-0.5B shape, 128-token prefill and 8-row decode), and {@code Exp}, built
 * from IEEE-exact operations, gives the same bits interpreted and compiled, which {@code Math.exp}
 * need not. Query head h reads
 * key/value head h / (heads / kvHeads) (GQA). One task per row and run of heads (see {@link #runs})
 * writes only its own output slices, so the result does not depend on the thread count; each head's
 * arithmetic is the same whatever run it is in.
 */
public final class CachedAttention {
    private CachedAttention() {}

    /**
     * @param q      [n x heads·headDim] the new rows' queries (RoPE applied)
     * @param kCache [≥ past+n x kvHeads·headDim] keys, the new rows' already written at past..past+n-1
     * @param vCache same layout as kCache
     * @param out    [n x heads·headDim]
     */
    public static void forward(float[] q, float[] kCache, float[] vCache, float[] out, int n, int past,
                        int heads, int kvHeads, int headDim, int slidingWindow) {
        forward(q, kCache, vCache, out, n, past, heads, kvHeads, headDim, slidingWindow, (float) (1.0 / Math.sqrt(headDim)), 0f);
    }

    /**
     * With the score scale and soft-cap of {@link Attention.Shape} (Gemma 2: query_pre_attn_scalar^-½,
     * cap·tanh(score / cap)); softcap 0 means none.
     */
    public static void forward(float[] q, float[] kCache, float[] vCache, float[] out, int n, int past,
                        int heads, int kvHeads, int headDim, int slidingWindow, float scale, float softcap) {
        forward(q, kCache, vCache, out, n, past, heads, kvHeads, headDim, slidingWindow, scale, softcap, null);
    }

    /** With ALiBi's per-head slopes (null: none): slope·(j − position) added to each scaled score. */
    public static void forward(float[] q, float[] kCache, float[] vCache, float[] out, int n, int past,
                        int heads, int kvHeads, int headDim, int slidingWindow, float scale, float softcap, float[] alibiSlopes) {
        int runs = runs(heads, kvHeads);
        ParallelTasks.forEach(n * runs, task -> {
            int i = task / runs, run = task % runs;
            attendRun(q, kCache, vCache, out, i, run, past + i, heads, kvHeads, headDim, slidingWindow, scale, softcap, alibiSlopes);
        });
    }

    /**
     * Several sequences at once (batched decoding): row i attends its own cache, {@code kCaches[i]} and
     * {@code vCaches[i]}, at its own position {@code positions[i]}, with the same arithmetic as
     * {@link #forward}, so a sequence's result does not depend on the others in the batch. The rows'
     * new keys and values are already written into their caches.
     */
    public static void forwardRows(float[] q, float[][] kCaches, float[][] vCaches, float[] out, int n, int[] positions,
                                   int heads, int kvHeads, int headDim, int slidingWindow, float scale, float softcap) {
        forwardRows(q, kCaches, vCaches, out, n, positions, heads, kvHeads, headDim, slidingWindow, scale, softcap, null);
    }

    /** With ALiBi's per-head slopes (null: none). */
    public static void forwardRows(float[] q, float[][] kCaches, float[][] vCaches, float[] out, int n, int[] positions,
                                   int heads, int kvHeads, int headDim, int slidingWindow, float scale, float softcap,
                                   float[] alibiSlopes) {
        int runs = runs(heads, kvHeads);
        ParallelTasks.forEach(n * runs, task -> {
            int i = task / runs, run = task % runs;
            attendRun(q, kCaches[i], vCaches[i], out, i, run, positions[i], heads, kvHeads, headDim, slidingWindow, scale, softcap,
                    alibiSlopes);
        });
    }

    /**
     * The runs of query heads a task takes. With GQA, a group's heads (at most {@link #MOST} of
     * them, so a large group still spreads over the threads): they read the same cached head, which
     * stays in the caches from one head to the next. Without GQA, two consecutive heads.
     */
    private static final int MOST = 8;

    private static int runs(int heads, int kvHeads) {
        int group = heads / kvHeads;
        return group == 1 ? (heads + 1) / 2 : kvHeads * ((group + MOST - 1) / MOST);
    }

    /** The first head of run r; the run's size is {@link #runSize}. */
    private static int runStart(int r, int heads, int kvHeads) {
        int group = heads / kvHeads;
        if (group == 1) return 2 * r;
        int perGroup = (group + MOST - 1) / MOST;
        return r / perGroup * group + r % perGroup * MOST;
    }

    private static int runSize(int r, int heads, int kvHeads) {
        int group = heads / kvHeads, h0 = runStart(r, heads, kvHeads);
        return group == 1 ? Math.min(2, heads - h0) : Math.min(MOST, group - h0 % group);
    }

    /**
     * Query row i, the heads of run {@code run} ({@link #runs}), at absolute position pos: each
     * head's softmax over the visible cached keys (scores scaled, soft-capped when softcap > 0), then
     * their weighted sums of the values two heads per pass over the keys, which loads each value
     * vector once when both read the same cached head and keeps twice the chains in flight either way.
     */
    private static void attendRun(float[] q, float[] kCache, float[] vCache, float[] out, int i, int run, int pos,
                                  int heads, int kvHeads, int headDim, int slidingWindow, float scale, float softcap,
                                  float[] alibiSlopes) {
        int h0 = runStart(run, heads, kvHeads), size = runSize(run, heads, kvHeads), group = heads / kvHeads;
        int qWidth = heads * headDim, kvWidth = kvHeads * headDim;
        int first = slidingWindow > 0 ? Math.max(0, pos - slidingWindow + 1) : 0;
        float[][] scores = new float[size][];
        float[] inv = new float[size];
        for (int t = 0; t < size; t++) {
            int h = h0 + t;
            scores[t] = new float[pos - first + 1];
            inv[t] = softmaxScores(q, kCache, i * qWidth + h * headDim, (h / group) * headDim, kvWidth, first, pos, headDim, scale,
                    softcap, alibiSlopes == null ? 0f : alibiSlopes[h], scores[t]);
        }
        int t = 0;
        for (; t + 2 <= size; t += 2) {
            int h = h0 + t;
            weightedValuesPair(scores[t], inv[t], (h / group) * headDim, i * qWidth + h * headDim,
                    scores[t + 1], inv[t + 1], ((h + 1) / group) * headDim, i * qWidth + (h + 1) * headDim,
                    vCache, first, pos, kvWidth, out, headDim);
        }
        if (t < size) {
            int h = h0 + t;
            weightedValuesFrom(0, scores[t], inv[t], vCache, first, pos, kvWidth, (h / group) * headDim, out, i * qWidth + h * headDim, headDim);
        }
    }

    /**
     * One head's scores over keys first .. pos into scores[j − first], soft-capped and ALiBi-biased,
     * exponentiated after the maximum is subtracted; returns 1 / their sum.
     */
    private static float softmaxScores(float[] q, float[] kCache, int qo, int ko, int kvWidth, int first, int pos, int headDim,
                                       float scale, float softcap, float slope, float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        KeyScores.compute(q, qo, kCache, ko, kvWidth, first, pos, headDim, scale, scores);
        for (int j = first; j <= pos; j++) {
            float s = scores[j - first];
            if (softcap > 0) s = SoftCap.apply(s, softcap);
            if (slope != 0f) s += slope * (j - pos);
            scores[j - first] = s;
            if (s > max) max = s;
        }
        float sum = (float) VectorMath.expShiftSum(scores, 0, scores.length, max);
        return 1f / sum;
    }

    /**
     * {@link #weightedValuesFrom} for two heads in one pass over the keys: per whole block of four
     * vectors, eight running sums instead of four (the chains are latency-bound: each key's fma
     * waits for the previous one's), and one load of each value vector when both heads read the
     * same cached head. Each output element keeps weightedValuesFrom's chain exactly, so the same bits.
     */
    private static void weightedValuesPair(float[] sa, float ia, int va, int qa, float[] sb, float ib, int vb, int qb,
                                           float[] vCache, int first, int pos, int kvWidth, float[] out, int headDim) {
        int l = VectorMath.S.length(), blocks = headDim / (4 * l) * 4 * l;
        for (int c = 0; c < blocks; c += 4 * l) {
            FloatVector a0 = FloatVector.zero(VectorMath.S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int j = first; j <= pos; j++) {
                FloatVector alpha = FloatVector.broadcast(VectorMath.S, sa[j - first] * ia);
                FloatVector beta = FloatVector.broadcast(VectorMath.S, sb[j - first] * ib);
                int at = j * kvWidth + va + c, bt = j * kvWidth + vb + c;
                a0 = FloatVector.fromArray(VectorMath.S, vCache, at).fma(alpha, a0);
                a1 = FloatVector.fromArray(VectorMath.S, vCache, at + l).fma(alpha, a1);
                a2 = FloatVector.fromArray(VectorMath.S, vCache, at + 2 * l).fma(alpha, a2);
                a3 = FloatVector.fromArray(VectorMath.S, vCache, at + 3 * l).fma(alpha, a3);
                b0 = FloatVector.fromArray(VectorMath.S, vCache, bt).fma(beta, b0);
                b1 = FloatVector.fromArray(VectorMath.S, vCache, bt + l).fma(beta, b1);
                b2 = FloatVector.fromArray(VectorMath.S, vCache, bt + 2 * l).fma(beta, b2);
                b3 = FloatVector.fromArray(VectorMath.S, vCache, bt + 3 * l).fma(beta, b3);
            }
            a0.intoArray(out, qa + c); a1.intoArray(out, qa + c + l); a2.intoArray(out, qa + c + 2 * l); a3.intoArray(out, qa + c + 3 * l);
            b0.intoArray(out, qb + c); b1.intoArray(out, qb + c + l); b2.intoArray(out, qb + c + 2 * l); b3.intoArray(out, qb + c + 3 * l);
        }
        if (blocks < headDim) {
            weightedValuesFrom(blocks, sa, ia, vCache, first, pos, kvWidth, va, out, qa, headDim);
            weightedValuesFrom(blocks, sb, ib, vCache, first, pos, kvWidth, vb, out, qb, headDim);
        }
    }

    /**
     * out[qo ..+headDim) = Σ_j (scores[j − first]·inv)·v_j over j = first .. pos in increasing j: per
     * element the same fma chain from zero as {@link VectorMath#axpy} once per key (and the same
     * multiply-add past the last whole vector), so the same bits, but the running sums stay in
     * registers, four vectors of the head at a time, instead of being stored and loaded back per key.
     * Columns from c0 on (0, or a multiple of four vectors that {@link #weightedValuesPair} did).
     */
    private static void weightedValuesFrom(int c0, float[] scores, float inv, float[] vCache, int first, int pos, int kvWidth, int vo,
                                           float[] out, int qo, int headDim) {
        int l = VectorMath.S.length(), c = c0;
        for (; c + 4 * l <= headDim; c += 4 * l) {
            FloatVector a0 = FloatVector.zero(VectorMath.S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = first; j <= pos; j++) {
                FloatVector alpha = FloatVector.broadcast(VectorMath.S, scores[j - first] * inv);
                int at = j * kvWidth + vo + c;
                a0 = FloatVector.fromArray(VectorMath.S, vCache, at).fma(alpha, a0);
                a1 = FloatVector.fromArray(VectorMath.S, vCache, at + l).fma(alpha, a1);
                a2 = FloatVector.fromArray(VectorMath.S, vCache, at + 2 * l).fma(alpha, a2);
                a3 = FloatVector.fromArray(VectorMath.S, vCache, at + 3 * l).fma(alpha, a3);
            }
            a0.intoArray(out, qo + c); a1.intoArray(out, qo + c + l); a2.intoArray(out, qo + c + 2 * l); a3.intoArray(out, qo + c + 3 * l);
        }
        for (; c + l <= headDim; c += l) {
            FloatVector a = FloatVector.zero(VectorMath.S);
            for (int j = first; j <= pos; j++) {
                a = FloatVector.fromArray(VectorMath.S, vCache, j * kvWidth + vo + c).fma(FloatVector.broadcast(VectorMath.S, scores[j - first] * inv), a);
            }
            a.intoArray(out, qo + c);
        }
        for (; c < headDim; c++) {
            float y = 0f;
            for (int j = first; j <= pos; j++) y += scores[j - first] * inv * vCache[j * kvWidth + vo + c];
            out[qo + c] = y;
        }
    }
}
