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
 * key/value head h / (heads / kvHeads) (GQA). One task per (row, head) writes only its own output
 * slice, so the result does not depend on the thread count.
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
        ParallelTasks.forEach(n * heads, task -> {
            int i = task / heads, h = task % heads;
            attendRow(q, kCache, vCache, out, i, h, past + i, heads, kvHeads, headDim, slidingWindow, scale, softcap, alibiSlopes);
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
        ParallelTasks.forEach(n * heads, task -> {
            int i = task / heads, h = task % heads;
            attendRow(q, kCaches[i], vCaches[i], out, i, h, positions[i], heads, kvHeads, headDim, slidingWindow, scale, softcap,
                    alibiSlopes);
        });
    }

    /** Query row i, head h, at absolute position pos: softmax over the visible cached keys (scores scaled, soft-capped when softcap > 0), times the values. */
    private static void attendRow(float[] q, float[] kCache, float[] vCache, float[] out, int i, int h, int pos,
                                  int heads, int kvHeads, int headDim, int slidingWindow, float scale, float softcap,
                                  float[] alibiSlopes) {
        float slope = alibiSlopes == null ? 0f : alibiSlopes[h];
        int group = heads / kvHeads, qWidth = heads * headDim, kvWidth = kvHeads * headDim, kvh = h / group;
        int first = slidingWindow > 0 ? Math.max(0, pos - slidingWindow + 1) : 0;
        int qo = i * qWidth + h * headDim;
        float[] scores = new float[pos - first + 1];
        float max = Float.NEGATIVE_INFINITY;
        KeyScores.compute(q, qo, kCache, kvh * headDim, kvWidth, first, pos, headDim, scale, scores);
        for (int j = first; j <= pos; j++) {
            float s = scores[j - first];
            if (softcap > 0) s = SoftCap.apply(s, softcap);
            if (slope != 0f) s += slope * (j - pos);
            scores[j - first] = s;
            if (s > max) max = s;
        }
        float sum = (float) VectorMath.expShiftSum(scores, 0, scores.length, max);
        weightedValues(scores, 1f / sum, vCache, first, pos, kvWidth, kvh * headDim, out, qo, headDim);
    }

    /**
     * out[qo ..+headDim) = Σ_j (scores[j − first]·inv)·v_j over j = first .. pos in increasing j: per
     * element the same fma chain from zero as {@link VectorMath#axpy} once per key (and the same
     * multiply-add past the last whole vector), so the same bits, but the running sums stay in
     * registers, four vectors of the head at a time, instead of being stored and loaded back per key.
     */
    private static void weightedValues(float[] scores, float inv, float[] vCache, int first, int pos, int kvWidth, int vo,
                                       float[] out, int qo, int headDim) {
        int l = VectorMath.S.length(), c = 0;
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
