package io.jtune.nn;

import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;

/**
 * Causal multi-head attention with grouped key/value heads (GQA; MQA when there is one), computed
 * flash-attention style: keys are visited in tiles with an online softmax, and only each query
 * row's logsumexp is kept. Backward recomputes the scores from q, k and that logsumexp, so no
 * [seq x seq] matrix ever exists.
 *
 * <p>Each (query block x key block) step is three small matrix products done by {@link Gemm}
 * (S = Q·Kᵀ, O += P·V; in backward also dP = dO·Vᵀ, dQ += dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO) on
 * per-head copies of q, k and v gathered into contiguous [T x headDim] panels, with the softmax
 * and masking in between.
 *
 * <p>Layouts are token-major as the projections produce them: q is [B·T x heads·headDim], k and v
 * are [B·T x kvHeads·headDim]. Query head h reads key/value head h / (heads / kvHeads), as HF's
 * repeat_kv does. Query i may see key j when j ≤ i, when both carry the same segment id (packed
 * examples never see each other) and, with a sliding window w, when i − j < w. Scores are
 * q·k·scale, soft-capped when the shape says so (Gemma 2), before the mask and the softmax.
 */
public final class Attention {
    private static final int BLOCK = 64;

    /**
     * Shapes and masking rules of one attention call.
     *
     * @param scale   what q·k is multiplied by: 1/√head_dim, or Gemma 2's query_pre_attn_scalar^-½
     * @param softcap attention-logit soft-capping, cap·tanh(score / cap) after scaling ({@link SoftCap}); 0 for none
     * @param alibiSlopes per head, ALiBi's slope ({@link Alibi}): slope·(j − i) is added to the scaled score; null for none
     */
    public record Shape(int batch, int seqLen, int heads, int kvHeads, int headDim,
                        int[] segmentIds, int slidingWindow, float scale, float softcap, float[] alibiSlopes) {
        /** Without ALiBi. */
        public Shape(int batch, int seqLen, int heads, int kvHeads, int headDim, int[] segmentIds, int slidingWindow,
                     float scale, float softcap) {
            this(batch, seqLen, heads, kvHeads, headDim, segmentIds, slidingWindow, scale, softcap, null);
        }

        /** Scores scaled by 1/√head_dim and not capped (Llama and most families). */
        public Shape(int batch, int seqLen, int heads, int kvHeads, int headDim, int[] segmentIds, int slidingWindow) {
            this(batch, seqLen, heads, kvHeads, headDim, segmentIds, slidingWindow, (float) (1.0 / Math.sqrt(headDim)), 0f);
        }

        int group() { return heads / kvHeads; }
        int qWidth() { return heads * headDim; }
        int kvWidth() { return kvHeads * headDim; }

        /** Index of the first key query i (within its row b) may see, ignoring segments. */
        int firstKey(int i) {
            return slidingWindow > 0 ? Math.max(0, i - slidingWindow + 1) : 0;
        }

        boolean sameSegment(int b, int i, int j) {
            return segmentIds == null || segmentIds[b * seqLen + i] == segmentIds[b * seqLen + j];
        }
    }

    private Attention() {}

    /** Per calling thread, reused between calls: the partial dk/dv sums of backward. */
    private static final ThreadLocal<float[]> PARTIALS = ThreadLocal.withInitial(() -> new float[0]);

    /** Per worker thread, reused between tasks and steps: the panels and tiles a task works on. */
    private static final ThreadLocal<float[][]> PANELS = ThreadLocal.withInitial(() -> new float[9][0]);

    /** Scratch slot {@code slot} of this thread, at least {@code size} long (contents unspecified). */
    private static float[] panel(int slot, int size) {
        float[][] all = PANELS.get();
        if (all[slot].length < size) all[slot] = new float[size];
        return all[slot];
    }

    /** Copies head {@code head} of a token-major [B·T x heads·d] array for batch row b into [rows x d]. */
    private static void gather(float[] src, int width, Shape s, int b, int head, int row0, int rows, float[] dst) {
        int d = s.headDim();
        for (int r = 0; r < rows; r++) System.arraycopy(src, (b * s.seqLen() + row0 + r) * width + head * d, dst, r * d, d);
    }

    /**
     * Turns a block of raw scores q·k [m x kn] of head h into the scores the softmax sees, in place:
     * scaled, soft-capped when the shape says so, ALiBi's slope·(j − i) added when it has slopes (the
     * rows of a packed segment are consecutive, so j − i is the distance in positions), and −∞ where
     * query i may not see key j (future, other segment, outside the window).
     */
    private static void maskedScores(float[] sc, int m, int kn, int i0, int j0, int b, int h, Shape s, float scale) {
        boolean allVisible = j0 + kn - 1 <= i0 && s.segmentIds() == null && j0 >= s.firstKey(i0 + m - 1);
        if (allVisible && s.alibiSlopes() == null) {       // a block wholly below the diagonal
            VectorMath.scale(sc, 0, m * kn, scale);
            if (s.softcap() > 0) SoftCap.forward(sc, 0, m * kn, s.softcap());
            return;
        }
        float slope = s.alibiSlopes() == null ? 0f : s.alibiSlopes()[h];
        for (int r = 0; r < m; r++) {
            int i = i0 + r, first = s.firstKey(i);
            for (int c = 0; c < kn; c++) {
                int j = j0 + c;
                boolean visible = j <= i && j >= first && s.sameSegment(b, i, j);
                float score = sc[r * kn + c] * scale;
                if (visible && s.softcap() > 0) score = SoftCap.apply(score, s.softcap());
                if (slope != 0f) score += slope * (j - i);
                sc[r * kn + c] = visible ? score : Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Key blocks a query block [i0, i0 + m) needs: from the first visible key up to its last row. */
    private static int firstKeyBlock(Shape s, int i0) {
        return s.firstKey(i0) / BLOCK * BLOCK;
    }

    /** out = softmax(q·kᵀ·scale + mask)·v per head; lse [B·heads·T] keeps each row's logsumexp. */
    public static void forward(float[] q, float[] k, float[] v, float[] out, float[] lse, Shape s) {
        int t = s.seqLen(), d = s.headDim();
        long work = (long) s.batch() * s.heads() * t * t * d;
        ParallelTasks.forEach(s.batch() * s.heads(), work, task -> {
            int h = task % s.heads(), b = task / s.heads(), kvh = h / s.group();
            float[] qh = panel(0, BLOCK * d), kh = panel(1, t * d), vh = panel(2, t * d);
            float[] sc = panel(3, BLOCK * BLOCK), acc = panel(4, BLOCK * d);
            float[] rowMax = panel(5, BLOCK), rowSum = panel(6, BLOCK);
            gather(k, s.kvWidth(), s, b, kvh, 0, t, kh);
            gather(v, s.kvWidth(), s, b, kvh, 0, t, vh);
            for (int i0 = 0; i0 < t; i0 += BLOCK) {
                int m = Math.min(BLOCK, t - i0), last = i0 + m - 1;
                gather(q, s.qWidth(), s, b, h, i0, m, qh);
                java.util.Arrays.fill(rowMax, Float.NEGATIVE_INFINITY);
                java.util.Arrays.fill(rowSum, 0f);
                java.util.Arrays.fill(acc, 0, m * d, 0f);
                for (int j0 = firstKeyBlock(s, i0); j0 <= last; j0 += BLOCK) {
                    int kn = Math.min(BLOCK, last - j0 + 1);
                    Gemm.matmulTransB(qh, 0, Matrix.of(kh, j0 * d, kn, d), sc, 0, m, false);
                    maskedScores(sc, m, kn, i0, j0, b, h, s, s.scale());
                    for (int r = 0; r < m; r++) onlineSoftmaxRow(sc, r * kn, kn, rowMax, rowSum, r, acc, r * d, d);
                    Gemm.matmul(sc, 0, Matrix.of(vh, j0 * d, kn, d), acc, 0, m, true);
                }
                for (int r = 0; r < m; r++) {
                    int oo = (b * t + i0 + r) * s.qWidth() + h * d;
                    float inv = 1f / rowSum[r];
                    for (int x = 0; x < d; x++) out[oo + x] = acc[r * d + x] * inv;
                    lse[(b * s.heads() + h) * t + i0 + r] = rowMax[r] + (float) StrictMath.log(rowSum[r]);
                }
            }
        });
    }

    /**
     * One row of a score block: raises the running maximum if needed (rescaling the row's sum and
     * output accumulator), then replaces the scores by exp(score − max) and adds them to the sum.
     */
    private static void onlineSoftmaxRow(float[] sc, int o, int kn, float[] rowMax, float[] rowSum, int r,
                                         float[] acc, int ao, int d) {
        float tileMax = VectorMath.max(sc, o, kn);
        if (tileMax == Float.NEGATIVE_INFINITY) {          // nothing visible in this block
            java.util.Arrays.fill(sc, o, o + kn, 0f);
            return;
        }
        if (tileMax > rowMax[r]) {
            float correction = rowMax[r] == Float.NEGATIVE_INFINITY ? 0f : Exp.exp(rowMax[r] - tileMax);
            rowSum[r] *= correction;
            VectorMath.scale(acc, ao, d, correction);
            rowMax[r] = tileMax;
        }
        rowSum[r] += (float) VectorMath.expShiftSum(sc, o, kn, rowMax[r]);
    }

    /**
     * Adds the gradients of q, k and v to dq, dk, dv, given dOut, the forward's out and lse.
     * With P = exp(S·scale − lse), D_i = dOut_i·out_i and dS = P ⊙ (dOut·Vᵀ − D)·scale
     * (times 1 − (capped/cap)², the soft-cap's derivative, when scores are capped):
     * dQ += dS·K, dK += dSᵀ·Q, dV += Pᵀ·dOut.
     *
     * <p>Work splits into (batch row, key/value head, query block) tasks. Each owns its dq rows and
     * writes its contributions to dk/dv into a private partial buffer; a second pass sums the
     * partials over query blocks in a fixed order, so the result does not depend on threads.
     */
    public static void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut,
                                float[] dq, float[] dk, float[] dv, Shape s) {
        int t = s.seqLen(), d = s.headDim();
        float scale = s.scale();
        int blocks = (t + BLOCK - 1) / BLOCK;
        int slice = t * d;                                  // one (b, kvh, block)'s partial dk (or dv)
        long needed = 2L * s.batch() * s.kvHeads() * blocks * slice;
        if (needed > Integer.MAX_VALUE) throw new IllegalStateException("attention backward scratch too large");
        float[] parts = PARTIALS.get();
        if (parts.length < needed) {
            parts = new float[(int) needed];
            PARTIALS.set(parts);
        }
        float[] partial = parts;
        long work = 2L * s.batch() * s.heads() * t * t * d;
        ParallelTasks.forEach(s.batch() * s.kvHeads() * blocks, work, task -> {
            int qb = task % blocks, bk = task / blocks, kvh = bk % s.kvHeads(), b = bk / s.kvHeads();
            int pk = 2 * task * slice, pv = pk + slice;
            int i0 = qb * BLOCK, m = Math.min(BLOCK, t - i0), last = i0 + m - 1;
            java.util.Arrays.fill(partial, pk, pk + 2 * slice, 0f);
            float[] kh = panel(0, (last + 1) * d), vh = panel(1, (last + 1) * d);
            float[] qh = panel(2, m * d), doh = panel(3, m * d), dqh = panel(4, m * d);
            float[] p = panel(5, BLOCK * BLOCK), dp = panel(6, BLOCK * BLOCK), rowDot = panel(7, m);
            float[] capped = s.softcap() > 0 ? panel(8, BLOCK * BLOCK) : null;   // the capped scores, for dtanh
            gather(k, s.kvWidth(), s, b, kvh, 0, last + 1, kh);
            gather(v, s.kvWidth(), s, b, kvh, 0, last + 1, vh);
            for (int h = kvh * s.group(); h < (kvh + 1) * s.group(); h++) {
                gather(q, s.qWidth(), s, b, h, i0, m, qh);
                gather(dOut, s.qWidth(), s, b, h, i0, m, doh);
                java.util.Arrays.fill(dqh, 0, m * d, 0f);
                for (int r = 0; r < m; r++) {
                    int oo = (b * t + i0 + r) * s.qWidth() + h * d;
                    rowDot[r] = VectorMath.dot(dOut, oo, out, oo, d);
                }
                for (int j0 = firstKeyBlock(s, i0); j0 <= last; j0 += BLOCK) {
                    int kn = Math.min(BLOCK, last - j0 + 1);
                    Matrix kBlock = Matrix.of(kh, j0 * d, kn, d), vBlock = Matrix.of(vh, j0 * d, kn, d);
                    Gemm.matmulTransB(qh, 0, kBlock, p, 0, m, false);
                    maskedScores(p, m, kn, i0, j0, b, h, s, s.scale());
                    if (s.softcap() > 0) System.arraycopy(p, 0, capped, 0, m * kn);
                    Gemm.matmulTransB(doh, 0, vBlock, dp, 0, m, false);
                    for (int r = 0; r < m; r++) {
                        float rowLse = lse[(b * s.heads() + h) * t + i0 + r];
                        VectorMath.expShiftScale(p, r * kn, kn, rowLse, 1f);
                        VectorMath.softmaxGradient(p, dp, r * kn, kn, rowDot[r], scale);
                        if (s.softcap() > 0) SoftCap.backward(capped, r * kn, dp, r * kn, kn, s.softcap());
                    }
                    Gemm.matmul(dp, 0, kBlock, dqh, 0, m, true);
                    Gemm.matmulTransA(dp, 0, qh, 0, partial, pk + j0 * d, m, kn, d, true);
                    Gemm.matmulTransA(p, 0, doh, 0, partial, pv + j0 * d, m, kn, d, true);
                }
                for (int r = 0; r < m; r++) VectorMath.add(dqh, r * d, dq, (b * t + i0 + r) * s.qWidth() + h * d, d);
            }
        });
        // Sum the partials: key j receives contributions from query blocks qb >= j / BLOCK, in order.
        int keyChunk = 16;
        int keyChunks = (t + keyChunk - 1) / keyChunk;
        ParallelTasks.forEach(s.batch() * s.kvHeads() * keyChunks, (long) s.batch() * s.kvHeads() * t * d * blocks, task -> {
            int kc = task % keyChunks, bk = task / keyChunks, kvh = bk % s.kvHeads(), b = bk / s.kvHeads();
            for (int j = kc * keyChunk; j < Math.min(t, (kc + 1) * keyChunk); j++) {
                int ko = (b * t + j) * s.kvWidth() + kvh * d;
                for (int qb = j / BLOCK; qb < blocks; qb++) {
                    int pk = 2 * (bk * blocks + qb) * slice;
                    VectorMath.add(partial, pk + j * d, dk, ko, d);
                    VectorMath.add(partial, pk + slice + j * d, dv, ko, d);
                }
            }
        });
    }
}
