package io.jtune.model;

import io.jtune.nn.Dora;
import io.jtune.nn.Kernels;
import io.jtune.tensor.Matrix;
import java.util.Arrays;

/**
 * DoRA on one linear module (PEFT's use_dora): LoRA's factors A [r x in] and B [out x r] plus a
 * trained magnitude m [out], over the module's frozen weight W₀ (in whatever {@link Matrix} format
 * the base holds it: bf16, a quantized block format, ...). The layer computes
 * m ⊙ (W₀ + s·B·A)·x / ‖W₀ + s·B·A‖ (per output row) + b; the math is {@link Dora}'s.
 *
 * <p>The row norms depend only on W₀, A and B, which do not change within a step; they are memoised
 * against a copy of A and B (r·(in + out) floats) so that decoding, evaluation and gradient
 * checkpointing's recomputation do not redo the r·in·out work on every call. The memo is an
 * immutable snapshot, so decode sessions sharing the adapter may race on it harmlessly.
 */
final class DoraFactors implements ModuleAdapter {
    final Param a;
    final Param b;
    final Param magnitude;         // [1 x out], saved 1-D as PEFT's lora_magnitude_vector
    final float scale;
    private final float dropout;
    private final Matrix w0;       // the module's frozen weight
    private final Param bias;      // null without one
    private volatile Norms memo;

    /** Row norms for one value of A and B. */
    private record Norms(float[] a, float[] b, float[] norms) {}

    DoraFactors(Param a, Param b, Param magnitude, float scale, float dropout, Matrix w0, Param bias) {
        this.a = a;
        this.b = b;
        this.magnitude = magnitude;
        this.scale = scale;
        this.dropout = dropout;
        this.w0 = w0;
        this.bias = bias;
    }

    private int out() { return b.rows; }

    /** kept holds u = s·x·Aᵀ [n x r], then d = x·W₀ᵀ + u·Bᵀ [n x out]. */
    @Override public int keptWidth() { return a.rows + out(); }

    @Override public float dropout() { return dropout; }

    /** ‖W₀ + s·B·A‖ per output row, for the current A and B. */
    float[] norms(Kernels k) {
        Norms m = memo;
        if (m != null && Arrays.equals(m.a, 0, m.a.length, a.data, a.offset, a.offset + a.size())
                && Arrays.equals(m.b, 0, m.b.length, b.data, b.offset, b.offset + b.size())) {
            return m.norms;
        }
        float[] aCopy = Arrays.copyOfRange(a.data, a.offset, a.offset + a.size());
        float[] bCopy = Arrays.copyOfRange(b.data, b.offset, b.offset + b.size());
        float[] norms = new float[out()];
        k.doraRowNorms(w0, Matrix.of(aCopy, a.rows, a.cols), Matrix.of(bCopy, b.rows, b.cols), scale, norms);
        memo = new Norms(aCopy, bCopy, norms);
        return norms;
    }

    /** g = m / norm per output row (PEFT's mag_norm_scale). */
    private float[] gains(float[] norms) {
        float[] g = new float[norms.length];
        for (int o = 0; o < g.length; o++) g[o] = magnitude.data[magnitude.offset + o] / norms[o];
        return g;
    }

    /** Sets m to the current row norms: PEFT's initial magnitude (W₀'s own row norms while B is zero). */
    void initialiseMagnitude(Kernels k) {
        System.arraycopy(norms(k), 0, magnitude.data, magnitude.offset, out());
    }

    @Override public void forward(Kernels k, float[] x, boolean dropped, float[] y, int n, float[] kept) {
        k.doraForward(x, dropped, w0, bias == null ? null : bias.data, bias == null ? 0 : bias.offset, a.matrix, b.matrix,
                scale, gains(norms(k)), kept, kept, n * a.rows, y, n);
    }

    @Override public void recompute(Kernels k, float[] x, int n, float[] kept) {
        k.doraRecompute(x, w0, a.matrix, b.matrix, scale, kept, kept, n * a.rows, n);
    }

    @Override public void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, float[] kept, float[] scratch) {
        float[] norms = norms(k);
        k.doraBackward(dy, x, dx, w0, a.matrix, b.matrix, scale, gains(norms), norms, kept, kept, n * a.rows,
                a.grad, a.gradOffset, b.grad, b.gradOffset, magnitude.grad, magnitude.gradOffset, scratch, n);
    }

    @Override public void mergeInto(float[] weight, int out, int in) {
        Dora.merge(weight, out, in, a.matrix, b.matrix, scale, magnitude.data, magnitude.offset);
    }
}
