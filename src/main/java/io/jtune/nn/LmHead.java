package io.jtune.nn;

import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;

/**
 * The language-model head fused with what training needs of it: logits = h·Wᵀ, the log-probability of
 * each token's target, log p = logit of the target − lse, over tokens whose target is not
 * {@link #IGNORE_INDEX}, and, in the same pass, the gradients dh and dW of any weighted sum
 * Σ weight·(−log p). Cross-entropy is the case of one weight for every token; an objective whose
 * weights depend on the log-probabilities themselves (DPO, a policy gradient) runs a forward pass
 * first and a backward pass with its weights after.
 *
 * <p>The log-probabilities can be those of the logits divided by a temperature T, log softmax(z / T):
 * what the online RL objectives train on (TRL's GRPOTrainer and PPOTrainer divide the logits by the
 * sampling temperature, so that log p is the log-probability of the distribution the completions
 * were sampled from). T = 1 skips the division, and gives the plain log-probabilities bit for bit.
 *
 * <p>The full [tokens x vocab] logits never exist: only tokens with a target are gathered (prompt
 * tokens masked with -100 cost nothing), and they are processed in chunks of rows whose logits fit
 * a fixed budget. Each chunk's logits are computed once, turned into the softmax gradient in place,
 * and consumed by the two backward products before the next chunk. Chunking over rows rather than
 * over the vocabulary computes every logit once instead of twice (a vocabulary split needs one
 * pass for the logsumexp and another for the gradient).
 *
 * <p>Every chunk packs (and widens) the whole of W twice, so fewer, larger chunks are faster: the
 * budget allows 64 Mi logits (256 MiB; 441 rows of Qwen2's 151,936-token vocabulary), and the rows
 * are spread evenly over the chunks that takes (512 rows: two of 256, not 441 + 71). Measured on
 * Qwen2.5-0.5B's head, 512 rows, 2 threads: 1.59 CPU-s a step in chunks of 110 rows, 1.35 in
 * chunks of 256, 1.24 in one chunk of 512.
 */
public final class LmHead {
    public static final int IGNORE_INDEX = -100;
    private static final long LOGITS_BUDGET_FLOATS = 64L << 20;

    private final int vocab;
    private final int hidden;
    private final int maxChunkRows;
    private final float softcap;                // final_logit_softcapping (Gemma 2), 0 for none
    /** Per thread, one row of soft-cap derivatives (1 − (logit/cap)²), only with a soft-cap. */
    private final ThreadLocal<float[]> capDerivative;
    private float[] logits = new float[0];      // grown to the chunk size in use, never past the budget
    private float[] rowsIn = new float[0];
    private float[] rowsGrad = new float[0];
    private double[] rowLoss = new double[0];

    public LmHead(int vocab, int hidden) {
        this(vocab, hidden, 0f);
    }

    /**
     * A head whose logits are soft-capped, cap·tanh(logit / cap) ({@link SoftCap}), before the
     * softmax: Gemma 2's final_logit_softcapping. softcap 0 means none.
     */
    public LmHead(int vocab, int hidden, float softcap) {
        this(vocab, hidden, (int) Math.max(8, Math.min(4096, LOGITS_BUDGET_FLOATS / vocab)), softcap);
    }

    /** With an explicit most rows per chunk (tests use tiny chunks to cover the seams). */
    LmHead(int vocab, int hidden, int maxChunkRows) {
        this(vocab, hidden, maxChunkRows, 0f);
    }

    LmHead(int vocab, int hidden, int maxChunkRows, float softcap) {
        this.vocab = vocab;
        this.hidden = hidden;
        this.maxChunkRows = maxChunkRows;
        this.softcap = softcap;
        this.capDerivative = softcap > 0 ? ThreadLocal.withInitial(() -> new float[vocab]) : null;
    }

    /** Soft-caps rows of logits in place when this head has a cap (generation's logits go through here too). */
    public void capLogits(float[] logits, int offset, int rows) {
        if (softcap > 0) SoftCap.forward(logits, offset, rows * vocab, softcap);
    }

    /** Rows per chunk for {@code count} rows: as few chunks as the budget allows, of equal size. */
    private int chunkRows(int count) {
        int chunks = Math.max(1, (count + maxChunkRows - 1) / maxChunkRows);
        int rows = Math.max(1, (count + chunks - 1) / chunks);
        if (rowLoss.length < rows) {
            logits = null;   // drop the old buffer before the larger one is allocated
            logits = new float[rows * vocab];
            rowsIn = new float[rows * hidden];
            rowsGrad = new float[rows * hidden];
            rowLoss = new double[rows];
        }
        return rows;
    }

    /**
     * Cross-entropy: returns the summed loss Σ −log p over the n rows of h whose target is not
     * ignored. When dh is non-null adds the gradient of gradScale·loss to dh [n x hidden] and, when
     * dw is non-null, to dw [vocab x hidden].
     */
    public double forwardBackward(float[] h, int[] targets, int n, Matrix w, float gradScale,
                                  float[] dh, float[] dw, int dwOff) {
        float[] weights = null;
        if (dh != null) {
            weights = new float[n];
            java.util.Arrays.fill(weights, gradScale);
        }
        return run(h, targets, n, w, 1f, null, weights, dh, dw, dwOff);
    }

    /**
     * Writes log p(target) of every row with a target into logProbs (when non-null; other entries are
     * left alone) and returns Σ −log p, where p = softmax(logits / temperature). When weights is
     * non-null adds the gradient of Σ weights[t]·(−log p_t) to dh [n x hidden] and, when dw is
     * non-null, to dw [vocab x hidden].
     */
    public double run(float[] h, int[] targets, int n, Matrix w, float temperature, double[] logProbs, float[] weights,
                      float[] dh, float[] dw, int dwOff) {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("the logits' temperature must be a positive number, was " + temperature);
        }
        int[] rows = new int[n];
        int count = 0;
        for (int t = 0; t < n; t++) {
            int target = targets[t];
            if (target == IGNORE_INDEX) continue;
            if (target < 0 || target >= vocab) {
                throw new io.jtune.JtuneException("label " + target + " at position " + t
                        + " is outside the vocabulary [0, " + vocab + ") and is not the ignore index -100");
            }
            rows[count++] = t;
        }
        double loss = 0;
        int chunkRows = chunkRows(count);
        boolean grad = weights != null;
        for (int start = 0; start < count; start += chunkRows) {
            int m = Math.min(chunkRows, count - start);
            for (int r = 0; r < m; r++) System.arraycopy(h, rows[start + r] * hidden, rowsIn, r * hidden, hidden);
            Gemm.matmulTransB(rowsIn, 0, w, logits, 0, m, false);
            int first = start;
            ParallelTasks.forEach(m, 3L * m * vocab, r -> {
                int t = rows[first + r];
                rowLoss[r] = softmaxRow(r, targets[t], grad ? weights[t] : 0f, grad, temperature);
            });
            for (int r = 0; r < m; r++) {
                loss += rowLoss[r];
                if (logProbs != null) logProbs[rows[start + r]] = -rowLoss[r];
            }
            if (!grad) continue;
            Gemm.matmul(logits, 0, w, rowsGrad, 0, m, false);
            for (int r = 0; r < m; r++) VectorMath.add(rowsGrad, r * hidden, dh, rows[start + r] * hidden, hidden);
            if (dw != null) Gemm.matmulTransA(logits, 0, rowsIn, 0, dw, dwOff, m, vocab, hidden, true);
        }
        return loss;
    }

    /**
     * The row's −log p(target), p = softmax(s) over s = z / T, z the row's logits (soft-capped when the
     * head has a cap); when grad, overwrites the row with the gradient of weight·(−log p) at the raw
     * logits. Forward and backward side by side:
     * <pre>
     *   forward:   s = z / T                    backward:  ∂s/∂z = 1/T
     *              −log p = lse(s) − s_target              ∂(−log p)/∂s = softmax(s) − onehot = p_T − onehot
     *   so ∂(weight·(−log p))/∂z = weight·(p_T − onehot)/T, times cap'(logit) when the head has a cap.
     * </pre>
     * T = 1 divides nothing and scales nothing, so it computes exactly the untempered log-softmax.
     */
    private double softmaxRow(int r, int target, float weight, boolean grad, float temperature) {
        int o = r * vocab;
        float[] derivative = null;
        if (softcap > 0) {
            SoftCap.forward(logits, o, vocab, softcap);
            if (grad) {
                derivative = capDerivative.get();
                for (int i = 0; i < vocab; i++) derivative[i] = SoftCap.derivative(logits[o + i], softcap);
            }
        }
        if (temperature != 1f) VectorMath.divide(logits, o, vocab, temperature);
        float max = VectorMath.max(logits, o, vocab);
        double lse = max + StrictMath.log(VectorMath.expSum(logits, o, vocab, max));
        double loss = lse - logits[o + target];
        if (grad) {
            float scaled = temperature == 1f ? weight : weight / temperature;   // weight · (1/T), the division's derivative
            VectorMath.expShiftScale(logits, o, vocab, (float) lse, scaled);
            logits[o + target] -= scaled;
            if (derivative != null) for (int i = 0; i < vocab; i++) logits[o + i] *= derivative[i];
        }
        return loss;
    }
}
