package io.jtune.model;

/**
 * What a forward pass gives a training objective: the log-probability the model assigns to each
 * label token (position t predicts labels[t+1], as HF shifts them), their per-row sums and counts,
 * and, when asked for, the final hidden state (after the last norm) at chosen positions — what a
 * value head reads. The logits themselves are never kept. The log-probabilities are those of the
 * logits divided by the pass's temperature (1 but for the online RL objectives, which train on the
 * sampling distribution; see {@link CausalLM#forward(Batch, LoraAdapter, boolean, int[], float)}).
 */
public final class ForwardOutput {
    final Batch batch;
    final int[] targets;            // the shifted labels, -100 where no token is predicted
    final double[] logProbs;        // [tokens]; 0 where targets is -100
    final int[] hiddenPositions;    // token indices into the flat batch, or null
    final float[] hidden;           // [positions x hidden] or null
    final ModelWeights weights;     // the view the pass ran with
    final long seed;                // dropout seed of a training pass, -1 otherwise
    final float temperature;        // the logits were divided by it before the log-softmax; backward divides the same way
    double routerAuxLoss;           // a MoE model's router aux loss (before its coefficient), 0 when off

    ForwardOutput(Batch batch, int[] targets, double[] logProbs, int[] hiddenPositions, float[] hidden,
                  ModelWeights weights, long seed, float temperature) {
        this.batch = batch;
        this.targets = targets;
        this.logProbs = logProbs;
        this.hiddenPositions = hiddenPositions;
        this.hidden = hidden;
        this.weights = weights;
        this.seed = seed;
        this.temperature = temperature;
    }

    public Batch batch() { return batch; }

    /** The temperature the logits were divided by before the log-softmax (1: the model's own distribution). */
    public float temperature() { return temperature; }

    /** Whether position t predicts a label (its target is not -100). */
    public boolean hasLabel(int t) { return targets[t] != Batch.IGNORE_INDEX; }

    /** log p(label) at each position of the flat batch; 0 at positions without a label. */
    public double[] tokenLogProbs() { return logProbs; }

    /** The shifted targets: position t predicts labels[t + 1]; -100 where nothing is predicted. */
    public int[] targets() { return targets; }

    /** Per batch row: the summed log-probability of its label tokens. */
    public double[] sequenceLogProbs() {
        double[] sums = new double[batch.batchSize()];
        for (int t = 0; t < logProbs.length; t++) if (hasLabel(t)) sums[t / batch.seqLen()] += logProbs[t];
        return sums;
    }

    /** Per batch row: how many label tokens it has. */
    public int[] sequenceTokens() {
        int[] counts = new int[batch.batchSize()];
        for (int t = 0; t < targets.length; t++) if (hasLabel(t)) counts[t / batch.seqLen()]++;
        return counts;
    }

    /** All label tokens of the batch. */
    public int labelTokens() {
        int count = 0;
        for (int target : targets) if (target != Batch.IGNORE_INDEX) count++;
        return count;
    }

    /** The positions whose hidden state was asked for, or null. */
    public int[] hiddenPositions() { return hiddenPositions; }

    /** Final hidden states [positions x hidden] at {@link #hiddenPositions()}, or null. */
    public float[] hidden() { return hidden; }

    /**
     * The router aux loss of a Mixture-of-Experts training pass, before its coefficient
     * (load_balancing_loss_func's value; 0 when moe_aux_loss_coef is off or the model is dense).
     */
    public double routerAuxLoss() {
        return routerAuxLoss;
    }
}
