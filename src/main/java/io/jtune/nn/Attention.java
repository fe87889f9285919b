package io.jtune.nn;

/**
 * Causal multi-head attention with grouped key/value heads (GQA; MQA when there is one), computed
 * flash-attention style: keys are visited in tiles with an online softmax, and only each query
 * row's logsumexp is kept. Backward recomputes the scores from q, k and that logsumexp, so no
 * [seq x seq] matrix ever exists.
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

    /** out = softmax(q·kᵀ·scale + mask)·v per head; lse [B·heads·T] keeps each row's logsumexp. */
    public static void forward(float[] q, float[] k, float[] v, float[] out, float[] lse, Shape s) {
        int blocks = (s.seqLen() + QUERY_BLOCK - 1) / QUERY_BLOCK;
        int tasks = s.batch() * s.heads() * blocks;
        Parallel.forEach(tasks, task -> {
            int blk = task % blocks, bh = task / blocks, h = bh % s.heads(), b = bh / s.heads();
            float[] scores = new float[KEY_TILE];
            float[] acc = new float[s.headDim()];
            int iEnd = Math.min(s.seqLen(), (blk + 1) * QUERY_BLOCK);
            for (int i = blk * QUERY_BLOCK; i < iEnd; i++) {
                forwardRow(q, k, v, out, lse, s, b, h, i, scores, acc);
            }
        });
    }

    private static void forwardRow(float[] q, float[] k, float[] v, float[] out, float[] lse, Shape s,
                                   int b, int h, int i, float[] scores, float[] acc) {
        int d = s.headDim(), kvh = h / s.group();
        int qo = (b * s.seqLen() + i) * s.qWidth() + h * d;
        float scale = s.scale();
        float max = Float.NEGATIVE_INFINITY, sum = 0;
        java.util.Arrays.fill(acc, 0f);
        for (int j0 = s.firstKey(i); j0 <= i; j0 += KEY_TILE) {
            int j1 = Math.min(i, j0 + KEY_TILE - 1);
            float tileMax = Float.NEGATIVE_INFINITY;
            for (int j = j0; j <= j1; j++) {
                float sc = Float.NEGATIVE_INFINITY;
                if (s.sameSegment(b, i, j)) {
                    int ko = (b * s.seqLen() + j) * s.kvWidth() + kvh * d;
                    sc = VectorMath.dot(q, qo, k, ko, d) * scale;
                    tileMax = Math.max(tileMax, sc);
                }
                scores[j - j0] = sc;
            }
            if (tileMax == Float.NEGATIVE_INFINITY) continue;
            if (tileMax > max) {
                // Rescale what was summed so far to the new running maximum.
                float correction = max == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(max - tileMax);
                sum *= correction;
                VectorMath.scale(acc, 0, d, correction);
                max = tileMax;
            }
            for (int j = j0; j <= j1; j++) {
                float sc = scores[j - j0];
                if (sc == Float.NEGATIVE_INFINITY) continue;
                float p = (float) Math.exp(sc - max);
                sum += p;
                VectorMath.axpy(p, v, (b * s.seqLen() + j) * s.kvWidth() + kvh * d, acc, 0, d);
            }
        }
        float inv = 1f / sum;
        for (int x = 0; x < d; x++) out[qo + x] = acc[x] * inv;
        lse[(b * s.heads() + h) * s.seqLen() + i] = max + (float) Math.log(sum);
    }

    /**
     * Adds the gradients of q, k and v to dq, dk, dv, given dOut, the forward's out and lse.
     * With p = exp(score − lse), D_i = dOut_i·out_i and dS = p·(dOut_i·v_j − D_i):
     * dq_i += scale·dS·k_j, dk_j += scale·dS·q_i, dv_j += p·dOut_i.
     * One task per (batch row, key/value head) owns its dk, dv and its group's dq rows.
     */
    public static void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut,
                                float[] dq, float[] dk, float[] dv, Shape s) {
        int tasks = s.batch() * s.kvHeads();
        Parallel.forEach(tasks, task -> {
            int kvh = task % s.kvHeads(), b = task / s.kvHeads();
            int d = s.headDim();
            float scale = s.scale();
            for (int h = kvh * s.group(); h < (kvh + 1) * s.group(); h++) {
                for (int i = 0; i < s.seqLen(); i++) {
                    int qo = (b * s.seqLen() + i) * s.qWidth() + h * d;
                    float rowLse = lse[(b * s.heads() + h) * s.seqLen() + i];
                    float dDot = VectorMath.dot(dOut, qo, out, qo, d);
                    for (int j = s.firstKey(i); j <= i; j++) {
                        if (!s.sameSegment(b, i, j)) continue;
                        int ko = (b * s.seqLen() + j) * s.kvWidth() + kvh * d;
                        float p = (float) Math.exp(VectorMath.dot(q, qo, k, ko, d) * scale - rowLse);
                        float dp = VectorMath.dot(dOut, qo, v, ko, d);
                        float ds = p * (dp - dDot) * scale;
                        VectorMath.axpy(ds, k, ko, dq, qo, d);
                        VectorMath.axpy(ds, q, qo, dk, ko, d);
                        VectorMath.axpy(p, dOut, qo, dv, ko, d);
                    }
                }
            }
        });
    }
}
