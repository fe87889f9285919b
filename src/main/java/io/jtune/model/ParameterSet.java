package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.nn.ParallelTasks;
import io.jtune.nn.VectorMath;
import io.jtune.tensor.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of trainable parameters — a model's own (full or freeze tuning) or an adapter's — in one flat
 * fp32 array, with a gradient array of the same layout, so that optimizers, zeroing, norms and
 * clipping are single fused passes. Parameters are registered first, then the arrays are allocated once.
 */
public final class ParameterSet {
    private final List<Param> params = new ArrayList<>();
    private float[] values;
    private float[] grads;

    /** Registers a trainable parameter; its storage exists after {@link #allocate()}. */
    Param register(String name, int rows, int cols) {
        if (values != null) throw new IllegalStateException("parameter set already allocated");
        Param p = new Param(name, rows, cols);
        params.add(p);
        return p;
    }

    void allocate() {
        long total = 0;
        for (Param p : params) total += p.size();
        if (total > Integer.MAX_VALUE - 16) {
            throw new JtuneException(total + " trainable parameters exceed what one fp32 array can hold ("
                    + Integer.MAX_VALUE + "); train fewer (LoRA or freeze)");
        }
        values = new float[(int) total];
        grads = new float[(int) total];
        int off = 0;
        for (Param p : params) {
            p.data = values;
            p.offset = off;
            p.grad = grads;
            p.gradOffset = off;
            p.matrix = Matrix.of(values, off, p.rows, p.cols);
            off += p.size();
        }
    }

    /** Copies a checkpoint tensor into a registered parameter, widening to fp32. */
    static void copyFrom(Matrix source, Param p) {
        int cols = source.cols();
        for (int r = 0; r < source.rows(); r++) source.readRow(r, 0, cols, p.data, p.offset + r * cols);
    }

    List<Param> params() { return params; }

    /** All values, fp32, one flat array (optimizers update it in place). */
    public float[] values() { return values; }

    /** The gradients, same layout as {@link #values()}. */
    public float[] gradients() { return grads; }

    public long count() { return values.length; }

    /** The tensors in the order of {@link #values()}, with their saved names. */
    public List<TrainableParameter> describe() {
        List<TrainableParameter> out = new ArrayList<>();
        for (Param p : params) out.add(new TrainableParameter(p.name, p.rows, p.cols, p.offset));
        return List.copyOf(out);
    }

    /**
     * Overwrites a tensor by its saved name (e.g. a PEFT adapter being resumed), widening to fp32.
     * A name that is not in this set, or a shape that differs, is an error.
     */
    public void set(String name, Matrix value) {
        for (Param p : params) {
            if (!p.name.equals(name)) continue;
            if ((long) value.rows() * value.cols() != p.size() || (p.rows != 1 && value.rows() != p.rows)) {
                throw new JtuneException("tensor " + name + " has shape [" + value.rows() + " x " + value.cols()
                        + "] but the model's is [" + p.rows + " x " + p.cols + "]");
            }
            copyFrom(value, p);
            return;
        }
        throw new JtuneException("tensor " + name + " is not a trainable parameter of this model (names look like "
                + (params.isEmpty() ? "none" : params.get(0).name) + ")");
    }

    public void zeroGrad() {
        Arrays.fill(grads, 0f);
    }

    /** Multiplies every gradient by s (e.g. to normalise after accumulation). */
    public void scaleGradients(float s) {
        float[] g = grads;
        int chunks = ParallelTasks.chunks(g.length, 1 << 16);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) g.length * c / chunks), hi = (int) ((long) g.length * (c + 1) / chunks);
            VectorMath.scale(g, lo, hi - lo, s);
        });
    }

    /** The global L2 norm of all gradients, summed in a fixed order whatever the thread count. */
    public double gradientNorm() {
        float[] g = grads;
        int chunks = ParallelTasks.chunks(g.length, 1 << 16);
        double[] partial = new double[chunks];
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) g.length * c / chunks), hi = (int) ((long) g.length * (c + 1) / chunks);
            partial[c] = VectorMath.sumOfSquares(g, lo, hi - lo);
        });
        double sum = 0;
        for (double p : partial) sum += p;
        return Math.sqrt(sum);
    }

    /**
     * Scales the gradients so their norm is at most maxNorm, as torch's clip_grad_norm_ does
     * (coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the norm before clipping.
     */
    public double clipGradientNorm(double maxNorm) {
        double norm = gradientNorm();
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) scaleGradients((float) coefficient);
        return norm;
    }
}
