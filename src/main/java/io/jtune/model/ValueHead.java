package io.jtune.model;

import java.util.SplittableRandom;

/**
 * A value head (TRL's ValueHead, as LLaMA-Factory's stage rm uses it): a linear layer hidden → 1 with
 * bias on a final hidden state, saved as {@code v_head.summary.weight} [1, hidden] and
 * {@code v_head.summary.bias} [1]. Its two tensors are registered in the trainable
 * {@link ParameterSet} of the model (or of its LoRA adapter), so that the optimizer, gradient
 * clipping and checkpoints treat them with the rest; an objective reads scores from it and adds its
 * gradients.
 */
public final class ValueHead {
    public static final String WEIGHT = "v_head.summary.weight";
    public static final String BIAS = "v_head.summary.bias";

    private final Param weight;
    private final Param bias;

    private ValueHead(Param weight, Param bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /** Registers the head's tensors in {@code set} (before it is allocated); call {@link #initialise} after. */
    static ValueHead register(ParameterSet set, int hidden) {
        return new ValueHead(set.register(WEIGHT, 1, hidden), set.register(BIAS, 1, 1));
    }

    /** torch.nn.Linear's default initialisation: weight and bias U(±1/√hidden). */
    void initialise(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + WEIGHT.hashCode());
        double bound = 1.0 / Math.sqrt(weight.cols);
        for (int i = 0; i < weight.size(); i++) weight.data[weight.offset + i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        bias.data[bias.offset] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
    }

    public int hidden() {
        return weight.cols;
    }

    /** The value of the hidden state {@code h[off .. off + hidden)}: w·h + b. */
    public double score(float[] h, int off) {
        double s = bias.data[bias.offset];
        for (int j = 0; j < weight.cols; j++) s += (double) weight.data[weight.offset + j] * h[off + j];
        return s;
    }

    /** Adds g·w, the gradient of a loss whose gradient with respect to this score is g, to {@code dh[off ..]}. */
    public void addHiddenGradient(double g, float[] dh, int off) {
        for (int j = 0; j < weight.cols; j++) dh[off + j] += (float) (g * weight.data[weight.offset + j]);
    }

    /** Adds the head's own gradients (g·h to the weight, g to the bias) for a score of {@code h[off ..]}. */
    public void addParameterGradient(double g, float[] h, int off) {
        for (int j = 0; j < weight.cols; j++) weight.grad[weight.gradOffset + j] += (float) (g * h[off + j]);
        bias.grad[bias.gradOffset] += (float) g;
    }
}
