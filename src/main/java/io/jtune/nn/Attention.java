package io.jtune.nn;

/**
 * Causal multi-head attention with grouped key/value heads (GQA; MQA when there is one), computed
 * flash-attention style: keys are visited in tiles with an online softmax, and only each query
 * row's logsumexp is kept. Backward recomputes the scores from q, k and that logsumexp, so no
 * [seq x seq] matrix ever exists.
 *
 * <p>Scores for a tile of keys are computed "vertically" from a transposed copy of k (and, in
 * backward, of v): scores[j] += q[x]·kᵀ[x][j] over x in order, a vector FMA across keys. This needs
 * no horizontal reductions and sums every score in one fixed order.
 *
 * <p>Layouts are token-major as the projections produce them: q is [B·T x heads·headDim], k and v
 * are [B·T x kvHeads·headDim]. Query head h reads key/value head h / (heads / kvHeads), as HF's
 * repeat_kv does. Query i may see key j when j ≤ i, when both carry the same segment id (packed
 * examples never see each other) and, with a sliding window w, when i − j < w.
 */
public final class Attention {
    private static final int KEY_TILE = 64;
    private static final int QUERY_BLOCK = 32;

    /** Shapes and masking rules of one attention call. */
    public record Shape(int batch, int seqLen, int heads, int kvHeads, int headDim,
                        int[] segmentIds, int slidingWindow) {
        int group() { return heads / kvHeads; }
        int qWidth() { return heads * headDim; }
        int kvWidth() { return kvHeads * headDim; }
        float scale() { return (float) (1.0 / Math.sqrt(headDim)); }

        /** Index of the first key query i (within its row b) may see, ignoring segments. */
        int firstKey(int i) {
            return slidingWindow > 0 ? Math.max(0, i - slidingWindow + 1) : 0;
        }

        boolean sameSegment(int b, int i, int j) {
            return segmentIds == null || segmentIds[b * seqLen + i] == segmentIds[b * seqLen + j];
        }
    }

    private Attention() {}

    /** Per calling thread, reused between calls: transposed k, transposed v, partial dk/dv sums. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private static float[] scratch(int which, long size) {
        if (size > Integer.MAX_VALUE) throw new IllegalStateException("attention scratch too large: " + size);
        float[][] all = SCRATCH.get();
        if (all[which].length < size) all[which] = new float[(int) size];
        return all[which];
    }

    /** kᵀ per (batch row, kv head): [B·kvHeads][headDim][T], so keys are contiguous for each x. */
    private static float[] transpose(float[] k, Shape s, int which) {
        int t = s.seqLen(), d = s.headDim();
        float[] kt = scratch(which, (long) s.batch() * s.kvHeads() * d * t);
        Parallel.forEach(s.batch() * s.kvHeads(), bk -> {
            int kvh = bk % s.kvHeads(), b = bk / s.kvHeads();
            int base = bk * d * t;
            for (int j = 0; j < t; j++) {
                int ko = (b * t + j) * s.kvWidth() + kvh * d;
                for (int x = 0; x < d; x++) kt[base + x * t + j] = k[ko + x];
            }
        });
        return kt;
    }

    /** out[0..len) = Σ_x vec[vo + x] · mt[base + x·T + j0 + (0..len)]: one row against a tile of columns. */
    private static void rowTimesTile(float[] vec, int vo, float[] mt, int base, int t, int j0, int len, int d, float[] out) {
        java.util.Arrays.fill(out, 0, len, 0f);
        for (int x = 0; x < d; x++) VectorMath.axpy(vec[vo + x], mt, base + x * t + j0, out, 0, len);
    }

    /** out = softmax(q·kᵀ·scale + mask)·v per head; lse [B·heads·T] keeps each row's logsumexp. */
    public static void forward(float[] q, float[] k, float[] v, float[] out, float[] lse, Shape s) {
        float[] kt = transpose(k, s, 0);
        int blocks = (s.seqLen() + QUERY_BLOCK - 1) / QUERY_BLOCK;
        int tasks = s.batch() * s.heads() * blocks;
        Parallel.forEach(tasks, task -> {
            int blk = task % blocks, bh = task / blocks, h = bh % s.heads(), b = bh / s.heads();
            float[] scores = new float[KEY_TILE];
            float[] acc = new float[s.headDim()];
            int iEnd = Math.min(s.seqLen(), (blk + 1) * QUERY_BLOCK);
            for (int i = blk * QUERY_BLOCK; i < iEnd; i++) {
                forwardRow(q, kt, v, out, lse, s, b, h, i, scores, acc);
            }
        });
    }

    private static void forwardRow(float[] q, float[] kt, float[] v, float[] out, float[] lse, Shape s,
                                   int b, int h, int i, float[] scores, float[] acc) {
        int d = s.headDim(), t = s.seqLen(), kvh = h / s.group();
        int qo = (b * t + i) * s.qWidth() + h * d;
        int base = (b * s.kvHeads() + kvh) * d * t;
        float scale = s.scale();
        float max = Float.NEGATIVE_INFINITY, sum = 0;
        java.util.Arrays.fill(acc, 0f);
        for (int j0 = s.firstKey(i); j0 <= i; j0 += KEY_TILE) {
            int len = Math.min(i, j0 + KEY_TILE - 1) - j0 + 1;
            rowTimesTile(q, qo, kt, base, t, j0, len, d, scores);
            float tileMax = Float.NEGATIVE_INFINITY;
            for (int jj = 0; jj < len; jj++) {
                float sc = s.sameSegment(b, i, j0 + jj) ? scores[jj] * scale : Float.NEGATIVE_INFINITY;
                scores[jj] = sc;
                tileMax = Math.max(tileMax, sc);
            }
            if (tileMax == Float.NEGATIVE_INFINITY) continue;
            if (tileMax > max) {
                // Rescale what was summed so far to the new running maximum.
                float correction = max == Float.NEGATIVE_INFINITY ? 0f : Exp.exp(max - tileMax);
                sum *= correction;
                VectorMath.scale(acc, 0, d, correction);
                max = tileMax;
            }
            for (int jj = 0; jj < len; jj++) {
                float sc = scores[jj];
                if (sc == Float.NEGATIVE_INFINITY) continue;
                float p = Exp.exp(sc - max);
                sum += p;
                VectorMath.axpy(p, v, (b * t + j0 + jj) * s.kvWidth() + kvh * d, acc, 0, d);
            }
        }
        float inv = 1f / sum;
        for (int x = 0; x < d; x++) out[qo + x] = acc[x] * inv;
        lse[(b * s.heads() + h) * t + i] = max + (float) StrictMath.log(sum);
    }

    /**
     * Adds the gradients of q, k and v to dq, dk, dv, given dOut, the forward's out and lse.
     * With p = exp(score − lse), D_i = dOut_i·out_i and dS = p·(dOut_i·v_j − D_i):
     * dq_i += scale·dS·k_j, dk_j += scale·dS·q_i, dv_j += p·dOut_i.
     *
     * <p>Work splits into (batch row, key/value head, query block) tasks. Each owns its dq rows and
     * writes its contributions to dk/dv into a private partial buffer; a second pass sums the
     * partials over query blocks in a fixed order, so the result does not depend on threads.
     */
    public static void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut,
                                float[] dq, float[] dk, float[] dv, Shape s) {
        int t = s.seqLen(), d = s.headDim();
        float[] kt = transpose(k, s, 0), vt = transpose(v, s, 1);
        int block = Math.max(QUERY_BLOCK, (t + 7) / 8);
        int blocks = (t + block - 1) / block;
        int slice = t * d;                                  // one (b, kvh, block)'s partial dk (or dv)
        float[] parts = scratch(2, 2L * s.batch() * s.kvHeads() * blocks * slice);
        int tasks = s.batch() * s.kvHeads() * blocks;
        Parallel.forEach(tasks, task -> {
            int qb = task % blocks, bk = task / blocks, kvh = bk % s.kvHeads(), b = bk / s.kvHeads();
            int pk = 2 * task * slice, pv = pk + slice;
            int base = bk * d * t;
            int iStart = qb * block, iEnd = Math.min(t, iStart + block);
            java.util.Arrays.fill(parts, pk, pk + 2 * slice, 0f);
            float[] scores = new float[KEY_TILE], dps = new float[KEY_TILE];
            float scale = s.scale();
            for (int h = kvh * s.group(); h < (kvh + 1) * s.group(); h++) {
                for (int i = iStart; i < iEnd; i++) {
                    int qo = (b * t + i) * s.qWidth() + h * d;
                    float rowLse = lse[(b * s.heads() + h) * t + i];
                    float dDot = VectorMath.dot(dOut, qo, out, qo, d);
                    for (int j0 = s.firstKey(i); j0 <= i; j0 += KEY_TILE) {
                        int len = Math.min(i, j0 + KEY_TILE - 1) - j0 + 1;
                        rowTimesTile(q, qo, kt, base, t, j0, len, d, scores);
                        rowTimesTile(dOut, qo, vt, base, t, j0, len, d, dps);
                        for (int jj = 0; jj < len; jj++) {
                            int j = j0 + jj;
                            if (!s.sameSegment(b, i, j)) continue;
                            int ko = (b * t + j) * s.kvWidth() + kvh * d;
                            float p = Exp.exp(scores[jj] * scale - rowLse);
                            float ds = p * (dps[jj] - dDot) * scale;
                            VectorMath.axpy(ds, k, ko, dq, qo, d);
                            VectorMath.axpy(ds, q, qo, parts, pk + j * d, d);
                            VectorMath.axpy(p, dOut, qo, parts, pv + j * d, d);
                        }
                    }
                }
            }
        });
        // Sum the partials: key j receives contributions from query blocks qb >= j / block, in order.
        int keyChunk = 16;
        int keyChunks = (t + keyChunk - 1) / keyChunk;
        Parallel.forEach(s.batch() * s.kvHeads() * keyChunks, task -> {
            int kc = task % keyChunks, bk = task / keyChunks, kvh = bk % s.kvHeads(), b = bk / s.kvHeads();
            for (int j = kc * keyChunk; j < Math.min(t, (kc + 1) * keyChunk); j++) {
                int ko = (b * t + j) * s.kvWidth() + kvh * d;
                for (int qb = j / block; qb < blocks; qb++) {
                    int pk = 2 * (bk * blocks + qb) * slice;
                    VectorMath.add(parts, pk + j * d, dk, ko, d);
                    VectorMath.add(parts, pk + slice + j * d, dv, ko, d);
                }
            }
        });
    }
}
