package io.jtune.model;

/**
 * What one sparse MoE block's forward keeps for its backward: the routing of every token and, per
 * expert, the rows routed to it with their projections. Expert buffers are sized by how many rows
 * reach the expert and grow when a batch routes more there (with gradient checkpointing one
 * instance serves every layer and the block's recompute refills it).
 */
final class MoeActivations {
    float[] logits = new float[0], probs = new float[0], weights = new float[0], sums = new float[0];
    int[] selected = new int[0];
    float[] routerKept, routerDropped;

    // Per expert: how many rows, each row's entry t·k + j in the routing arrays, and its buffers.
    int[] count = new int[0];
    int[][] entries = new int[0][];
    float[][] input = new float[0][], gate = new float[0][], up = new float[0][], output = new float[0][];
    float[][][] kept = new float[0][][], dropped = new float[0][][];   // [expert][gate, up, down]

    // Qwen2-MoE's shared expert over all n tokens, and its gate's logit per token.
    float[] sharedGate, sharedUp, sharedOutput, sharedLogit;
    float[][] sharedKept = new float[4][], sharedDropped = new float[4][];   // gate, up, down, its router

    // Scratch of forward and backward (the activation and the gradients inside an expert).
    float[] act = new float[0], dOut = new float[0], dAct = new float[0], dGate = new float[0], dUp = new float[0],
            dIn = new float[0], dWeights = new float[0], dLogits = new float[0], dProbs = new float[0];

    /** Set by the model for a training pass with the router aux loss (null: no aux loss). */
    RouterStatistics statistics;

    void planRouting(int n, int experts, int k) {
        logits = grow(logits, n * experts);
        probs = grow(probs, n * experts);
        weights = grow(weights, n * k);
        sums = grow(sums, n);
        if (selected.length < n * k) selected = new int[n * k];
        if (count.length < experts) {
            count = new int[experts];
            entries = new int[experts][0];
            input = new float[experts][0];
            gate = new float[experts][0];
            up = new float[experts][0];
            output = new float[experts][0];
            kept = new float[experts][3][];
            dropped = new float[experts][3][];
        }
    }

    /** A buffer of at least {@code size} floats: {@code a} itself when it is big enough. */
    static float[] grow(float[] a, int size) {
        return a != null && a.length >= size ? a : new float[size];
    }
}
