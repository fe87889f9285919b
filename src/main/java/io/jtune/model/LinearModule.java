package io.jtune.model;

import io.jtune.nn.Kernels;

/**
 * A linear layer as a forward pass sees it: the base weight (frozen or trainable), an optional bias
 * and, when an adapter is applied, its LoRA factors (with optional dropout on the adapter's input,
 * as PEFT applies it). The base model's modules have no LoRA; an adapter's view of the model has
 * copies that carry its factors.
 */
final class LinearModule {
    final String path;          // "model.layers.3.mlp.down_proj"
    final int slot;             // index into the layer's per-module activation arrays
    final Param weight;
    final Param bias;           // null when the architecture has none
    final LoraPair lora;        // null without an adapter on this module

    LinearModule(String path, int slot, Param weight, Param bias, LoraPair lora) {
        this.path = path;
        this.slot = slot;
        this.weight = weight;
        this.bias = bias;
        this.lora = lora;
    }

    /** The same module with other weights (an adapter's trained copies) and LoRA factors. */
    LinearModule with(Param newWeight, Param newBias, LoraPair newLora) {
        return new LinearModule(path, slot, newWeight, newBias, newLora);
    }

    int in() { return weight.cols; }
    int out() { return weight.rows; }
    int rank() { return lora == null ? 0 : lora.rank(); }
    boolean hasDropout() { return lora != null && lora.dropout > 0; }

    boolean hasTrainable() {
        return weight.trainable() || (bias != null && bias.trainable()) || lora != null;
    }

    /** y = x·Wᵀ + b (+ LoRA); dropoutSeed &lt; 0 means inference (no dropout). */
    void forward(Kernels k, float[] x, float[] y, int n, LayerActivations acts, long dropoutSeed) {
        k.linearForward(x, weight.matrix, bias == null ? null : bias.data, bias == null ? 0 : bias.offset, y, n);
        if (lora == null) return;
        k.loraForward(adapterInput(k, x, n, acts, dropoutSeed), lora.a.matrix, lora.b.matrix, lora.scale, acts.loraU[slot], y, n);
    }

    /**
     * Gradient checkpointing for a layer whose output backward does not need: refills only what the
     * adapter's backward reads (the dropped-out input and u), skipping the base GEMM.
     */
    void recomputeAdapter(Kernels k, float[] x, int n, LayerActivations acts, long dropoutSeed) {
        if (lora == null) return;
        k.loraProject(adapterInput(k, x, n, acts, dropoutSeed), lora.a.matrix, lora.scale, acts.loraU[slot], n);
    }

    /** x, or dropout(x) kept in the activations when training with lora_dropout. */
    private float[] adapterInput(Kernels k, float[] x, int n, LayerActivations acts, long dropoutSeed) {
        if (!hasDropout() || dropoutSeed < 0) return x;
        float[] dropped = acts.loraInput[slot];
        k.dropoutForward(x, dropped, n * in(), lora.dropout, dropoutSeed);
        return dropped;
    }

    /** Adds dx (when non-null) and the gradients of every trainable tensor of this module. */
    void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, LayerActivations acts, Workspace ws,
                  long dropoutSeed) {
        k.linearBackward(dy, x, weight.matrix, dx, weight.grad, weight.gradOffset,
                bias == null ? null : bias.grad, bias == null ? 0 : bias.gradOffset, n);
        if (lora == null) return;
        float[] adapterInput = hasDropout() ? acts.loraInput[slot] : x;
        float[] adapterDx = dx;
        if (dx != null && hasDropout()) {
            adapterDx = ws.dropoutGrad;
            java.util.Arrays.fill(adapterDx, 0, n * in(), 0f);
        }
        k.loraBackward(dy, adapterInput, lora.a.matrix, lora.b.matrix, lora.scale, acts.loraU[slot], adapterDx,
                lora.a.grad, lora.a.gradOffset, lora.b.grad, lora.b.gradOffset, ws.loraGrad, n);
        if (dx != null && hasDropout()) k.dropoutBackward(adapterDx, dx, n * in(), lora.dropout, dropoutSeed);
    }
}
