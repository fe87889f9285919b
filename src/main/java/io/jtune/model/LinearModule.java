package io.jtune.model;

import io.jtune.nn.Kernels;

/**
 * A linear layer as a forward pass sees it: the base weight (frozen or trainable), an optional bias
 * and, when an adapter is applied, the adapter's part for this module (LoRA's factors), with optional
 * dropout on the adapter's input, as PEFT applies it. The base model's modules have no adapter; an
 * adapter's view of the model has copies that carry its parts.
 */
final class LinearModule {
    final String path;            // "model.layers.3.mlp.down_proj"
    final int slot;               // index into the layer's per-module activation arrays (-1: a MoE block's module,
                                  // whose state the block keeps itself)
    final Param weight;
    final Param bias;             // null when the architecture has none
    final ModuleAdapter adapter;  // null without an adapter on this module

    LinearModule(String path, int slot, Param weight, Param bias, ModuleAdapter adapter) {
        this.path = path;
        this.slot = slot;
        this.weight = weight;
        this.bias = bias;
        this.adapter = adapter;
    }

    /** The same module with other weights (an adapter's trained copies) and adapter part. */
    LinearModule with(Param newWeight, Param newBias, ModuleAdapter newAdapter) {
        return new LinearModule(path, slot, newWeight, newBias, newAdapter);
    }

    int in() { return weight.cols; }
    int out() { return weight.rows; }
    int keptWidth() { return adapter == null ? 0 : adapter.keptWidth(); }
    boolean hasDropout() { return adapter != null && adapter.dropout() > 0; }

    boolean hasTrainable() {
        return weight.trainable() || (bias != null && bias.trainable()) || adapter != null;
    }

    /** y = x·Wᵀ + b (+ the adapter's part); dropoutSeed &lt; 0 means inference (no dropout). */
    void forward(Kernels k, float[] x, float[] y, int n, LayerActivations acts, long dropoutSeed) {
        forward(k, x, y, n, acts.adapterKept[slot], acts.adapterInput[slot], dropoutSeed);
    }

    /**
     * The same with the adapter's state in buffers of the caller's (a MoE expert's, over the rows
     * routed to it): {@code kept} [n x keptWidth], {@code dropped} [n x in] (only with adapter dropout).
     */
    void forward(Kernels k, float[] x, float[] y, int n, float[] kept, float[] dropped, long dropoutSeed) {
        k.linearForward(x, weight.matrix, bias == null ? null : bias.data, bias == null ? 0 : bias.offset, y, n);
        if (adapter == null) return;
        float[] input = x;
        if (hasDropout() && dropoutSeed >= 0) {
            k.dropoutForward(x, dropped, n * in(), adapter.dropout(), dropoutSeed);
            input = dropped;
        }
        adapter.forward(k, input, input != x, y, n, kept);
    }

    /**
     * Gradient checkpointing for a layer whose output backward does not need: refills only what the
     * adapter's backward reads (the dropped-out input and its kept state), skipping the base GEMM.
     */
    void recomputeAdapter(Kernels k, float[] x, int n, LayerActivations acts, long dropoutSeed) {
        if (adapter == null) return;
        adapter.recompute(k, adapterInput(k, x, n, acts, dropoutSeed), n, acts.adapterKept[slot]);
    }

    /** x, or dropout(x) kept in the activations when training with adapter dropout. */
    private float[] adapterInput(Kernels k, float[] x, int n, LayerActivations acts, long dropoutSeed) {
        if (!hasDropout() || dropoutSeed < 0) return x;
        float[] dropped = acts.adapterInput[slot];
        k.dropoutForward(x, dropped, n * in(), adapter.dropout(), dropoutSeed);
        return dropped;
    }

    /** Adds dx (when non-null) and the gradients of every trainable tensor of this module. */
    void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, LayerActivations acts, Workspace ws,
                  long dropoutSeed) {
        backward(k, dy, x, dx, n, acts.adapterKept[slot], acts.adapterInput[slot], ws, dropoutSeed);
    }

    /** The same with the adapter's state in the caller's buffers, as its forward kept them. */
    void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, float[] kept, float[] dropped, Workspace ws,
                  long dropoutSeed) {
        k.linearBackward(dy, x, weight.matrix, dx, weight.grad, weight.gradOffset,
                bias == null ? null : bias.grad, bias == null ? 0 : bias.gradOffset, n);
        if (adapter == null) return;
        float[] adapterInput = hasDropout() ? dropped : x;
        float[] adapterDx = dx;
        if (dx != null && hasDropout()) {
            adapterDx = ws.dropoutGrad;
            java.util.Arrays.fill(adapterDx, 0, n * in(), 0f);
        }
        adapter.backward(k, dy, adapterInput, adapterDx, n, kept, ws.adapterScratch);
        if (dx != null && hasDropout()) k.dropoutBackward(adapterDx, dx, n * in(), adapter.dropout(), dropoutSeed);
    }
}
