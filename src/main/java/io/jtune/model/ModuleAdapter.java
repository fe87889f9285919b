package io.jtune.model;

import io.jtune.nn.Kernels;

/**
 * What an adapter method adds to one linear layer y = x·Wᵀ + b, forward and backward side by side.
 * {@link LoraFactors} is LoRA's scale·(x·Aᵀ)·Bᵀ; another method (DoRA's magnitude-scaled update,
 * say) is another implementation, created per module by the adapter that owns its parameters.
 * Dropout on the adapter's input (PEFT's lora_dropout) is applied by {@link LinearModule} around
 * these calls, so an implementation sees the input it should use.
 */
interface ModuleAdapter {
    /** Floats per token the forward keeps for backward (LoRA: its rank, for u = scale·x·Aᵀ). */
    int keptWidth();

    /** The dropout probability on the adapter's input during training (0: none). */
    float dropout();

    /** Adds the adapter's output to y [n x out]; kept [n x keptWidth] receives what backward reads. */
    void forward(Kernels k, float[] x, float[] y, int n, float[] kept);

    /** Gradient checkpointing: refills only {@code kept}, without touching y. */
    void recompute(Kernels k, float[] x, int n, float[] kept);

    /**
     * Adds the adapter's parameter gradients and, when dx is non-null, its part of the input gradient;
     * scratch holds at least n x keptWidth floats.
     */
    void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, float[] kept, float[] scratch);

    /** Adds the adapter's change of the weight to a dense fp32 copy of it [out x in] (a merged export). */
    void addTo(float[] weight, int out, int in);
}
