package io.jtune.model;

import io.jtune.nn.Kernels;

/**
 * A linear layer as the model holds it: the base weight (frozen or trainable), an optional bias
 * and an optional LoRA adapter (with optional dropout on the adapter's input, as PEFT applies it).
 */
final class LinearModule {
    final String path;          // "model.layers.3.mlp.down_proj"
    final int slot;             // index into the layer's per-module activation arrays
    final Param weight;
    final Param bias;           // null when the architecture has none
    final Param loraA;          // [r x in], null without LoRA
    final Param loraB;          // [out x r]
    final float loraScale;
    final float loraDropout;

    LinearModule(String path, int slot, Param weight, Param bias, Param loraA, Param loraB,
                 float loraScale, float loraDropout) {
        this.path = path;
        this.slot = slot;
        this.weight = weight;
        this.bias = bias;
        this.loraA = loraA;
        this.loraB = loraB;
        this.loraScale = loraScale;
        this.loraDropout = loraDropout;
    }

    int in() { return weight.cols; }
    int out() { return weight.rows; }
    int rank() { return loraA == null ? 0 : loraA.rows; }
    boolean hasDropout() { return loraA != null && loraDropout > 0; }

    boolean hasTrainable() {
        return weight.trainable() || (bias != null && bias.trainable()) || loraA != null;
    }

    /** y = x·Wᵀ + b (+ LoRA); dropoutSeed &lt; 0 means inference (no dropout). */
    void forward(Kernels k, float[] x, float[] y, int n, LayerActivations acts, long dropoutSeed) {
        k.linearForward(x, weight.matrix, bias == null ? null : bias.data, bias == null ? 0 : bias.offset, y, n);
        if (loraA == null) return;
        float[] adapterInput = x;
        if (hasDropout() && dropoutSeed >= 0) {
            adapterInput = acts.loraInput[slot];
            k.dropoutForward(x, adapterInput, n * in(), loraDropout, dropoutSeed);
        }
        k.loraForward(adapterInput, loraA.matrix, loraB.matrix, loraScale, acts.loraU[slot], y, n);
    }

    /**
     * Gradient checkpointing for a layer whose output backward does not need: refills only what the
     * adapter's backward reads (the dropped-out input and u), skipping the base GEMM.
     */
    void recomputeAdapter(Kernels k, float[] x, int n, LayerActivations acts, long dropoutSeed) {
        if (loraA == null) return;
        float[] adapterInput = x;
        if (hasDropout() && dropoutSeed >= 0) {
            adapterInput = acts.loraInput[slot];
            k.dropoutForward(x, adapterInput, n * in(), loraDropout, dropoutSeed);
        }
        k.loraProject(adapterInput, loraA.matrix, loraScale, acts.loraU[slot], n);
    }

    /** Adds dx (when non-null) and the gradients of every trainable tensor of this module. */
    void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, LayerActivations acts, Workspace ws,
                  long dropoutSeed) {
        k.linearBackward(dy, x, weight.matrix, dx, weight.grad, weight.gradOffset,
                bias == null ? null : bias.grad, bias == null ? 0 : bias.gradOffset, n);
        if (loraA == null) return;
        float[] adapterInput = hasDropout() ? acts.loraInput[slot] : x;
        float[] adapterDx = dx;
        if (dx != null && hasDropout()) {
            adapterDx = ws.dropoutGrad;
            java.util.Arrays.fill(adapterDx, 0, n * in(), 0f);
        }
        k.loraBackward(dy, adapterInput, loraA.matrix, loraB.matrix, loraScale, acts.loraU[slot], adapterDx,
                loraA.grad, loraA.gradOffset, loraB.grad, loraB.gradOffset, ws.loraGrad, n);
        if (dx != null && hasDropout()) k.dropoutBackward(adapterDx, dx, n * in(), loraDropout, dropoutSeed);
    }
}
