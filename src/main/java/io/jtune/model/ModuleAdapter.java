package io.jtune.model;

import io.jtune.nn.Kernels;

/**
 * What an adapter method adds to one linear layer y = x·Wᵀ + b, forward and backward side by side.
 * {@link LoraFactors} is LoRA's scale·(x·Aᵀ)·Bᵀ, {@link DoraFactors} DoRA's magnitude-scaled
 * update; each is an implementation, created per module by the adapter that owns its parameters.
 * Dropout on the adapter's input (PEFT's lora_dropout) is applied by {@link LinearModule} around
 * these calls, so an implementation sees the input it should use.
 */
interface ModuleAdapter {
    /** Floats per token the forward keeps for backward (LoRA: its rank, for u = scale·x·Aᵀ). */
    int keptWidth();

    /** The dropout probability on the adapter's input during training (0: none). */
    float dropout();

    /**
     * Adds the adapter's output to y [n x out], which holds the base layer's output; kept [n x keptWidth]
     * receives what backward reads. {@code dropped}: x is a dropped-out copy of the layer's input, not
     * the input the base layer saw (DoRA's base-result term depends on which).
     */
    void forward(Kernels k, float[] x, boolean dropped, float[] y, int n, float[] kept);

    /** Gradient checkpointing: refills only {@code kept}, without touching y. */
    void recompute(Kernels k, float[] x, int n, float[] kept);

    /**
     * Adds the adapter's parameter gradients and, when dx is non-null, its part of the input gradient;
     * scratch holds at least n x keptWidth floats.
     */
    void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, float[] kept, float[] scratch);

    /**
     * Turns a dense fp32 copy of the base weight [out x in] into the weight with the adapter merged in
     * (a merged export): LoRA adds scale·B·A, DoRA also rescales each row to its magnitude.
     */
    void mergeInto(float[] weight, int out, int in);
}
