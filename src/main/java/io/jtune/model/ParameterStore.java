package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.tensor.Matrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Every trainable parameter in one flat fp32 array, with a gradient array of the same layout, so
 * that optimizers, zeroing, norms and clipping are single fused passes. Parameters are registered
 * first, then the arrays are allocated once.
 */
final class ParameterStore {
    private final List<Param> params = new ArrayList<>();
    private float[] values;
    private float[] grads;

    /** Registers a trainable parameter; its storage exists after {@link #allocate()}. */
    Param register(String name, int rows, int cols) {
        if (values != null) throw new IllegalStateException("store already allocated");
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

    float[] values() { return values; }
    float[] grads() { return grads; }
    List<Param> params() { return params; }

    List<TrainableParameter> describe() {
        List<TrainableParameter> out = new ArrayList<>();
        for (Param p : params) out.add(new TrainableParameter(p.name, p.rows, p.cols, p.offset));
        return List.copyOf(out);
    }
}
