package io.jtune.model;

import io.jtune.nn.Kernels;
import io.jtune.nn.VectorMath;

/**
 * LoRA on one linear module, as an adapter holds it: A [r x in], B [out x r], the scale (alpha / r,
 * or alpha / √r with rsLoRA) and the dropout PEFT applies to the adapter's input. Adds
 * scale·(x·Aᵀ)·Bᵀ; keeps u = scale·x·Aᵀ [n x r] for backward.
 */
final class LoraFactors implements ModuleAdapter {
    final Param a;
    final Param b;
    final float scale;
    private final float dropout;

    LoraFactors(Param a, Param b, float scale, float dropout) {
        this.a = a;
        this.b = b;
        this.scale = scale;
        this.dropout = dropout;
    }

    @Override public int keptWidth() { return a.rows; }

    @Override public float dropout() { return dropout; }

    @Override public void forward(Kernels k, float[] x, boolean dropped, float[] y, int n, float[] kept) {
        k.loraForward(x, a.matrix, b.matrix, scale, kept, y, n);
    }

    @Override public void recompute(Kernels k, float[] x, int n, float[] kept) {
        k.loraProject(x, a.matrix, scale, kept, n);
    }

    @Override public void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, float[] kept, float[] scratch) {
        k.loraBackward(dy, x, a.matrix, b.matrix, scale, kept, dx, a.grad, a.gradOffset, b.grad, b.gradOffset, scratch, n);
    }

    /** ΔW [out x in] = scale · B [out x r] · A [r x in]. */
    @Override public void mergeInto(float[] weight, int out, int in) {
        int rank = a.rows;
        for (int o = 0; o < out; o++) {
            for (int r = 0; r < rank; r++) {
                float coefficient = b.data[b.offset + o * rank + r] * scale;
                VectorMath.axpy(coefficient, a.data, a.offset + r * in, weight, o * in, in);
            }
        }
    }
}
