package io.jtune.model;

import io.jtune.nn.Kernels;

/**
 * A norm module's step with the family's {@link io.jtune.nn.Normalization}: its weight and, for a
 * LayerNorm, its bias (null when the module has none).
 */
final class Norms {
    private Norms() {}

    static void forward(Kernels k, Dims d, float[] x, Param weight, Param bias, float[] out, float[] stat, int rows, int dim) {
        d.norm().forward(k, x, weight.data, weight.offset, bias == null ? null : bias.data, bias == null ? 0 : bias.offset,
                out, stat, rows, dim, d.eps());
    }

    /** Adds the input gradient to dx (when non-null) and the weight's and bias's gradients when they train. */
    static void backward(Kernels k, Dims d, float[] dy, float[] x, Param weight, Param bias, float[] stat, float[] dx,
                         int rows, int dim) {
        d.norm().backward(k, dy, x, weight.data, weight.offset, stat, dx, weight.grad, weight.gradOffset,
                bias == null ? null : bias.grad, bias == null ? 0 : bias.gradOffset, rows, dim);
    }
}
