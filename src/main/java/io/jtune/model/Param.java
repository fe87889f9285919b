package io.jtune.model;

import io.jtune.tensor.Matrix;

/**
 * One weight tensor of the model as the ops see it. A trainable one is an fp32 slice of the
 * {@link ParameterStore}'s flat value and gradient arrays; a frozen matrix stays the checkpoint's
 * Matrix (bf16 costs 2 bytes a parameter); a frozen vector (norm weight, bias) is widened to fp32.
 */
final class Param {
    final String name;      // the name it is saved under (HF, or PEFT for adapters)
    final int rows;
    final int cols;
    Matrix matrix;          // what GEMMs read
    float[] data;           // fp32 values: trainable ones live in the store; null for frozen matrices
    int offset;
    float[] grad;           // null when frozen
    int gradOffset;

    Param(String name, int rows, int cols) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
    }

    boolean trainable() {
        return grad != null;
    }

    int size() {
        return rows * cols;
    }

    /** A frozen parameter reading the checkpoint's matrix directly. */
    static Param frozenMatrix(String name, Matrix source) {
        Param p = new Param(name, source.rows(), source.cols());
        p.matrix = source;
        return p;
    }

    /** A frozen vector widened to fp32 (it is small, and the ops read it element by element). */
    static Param frozenVector(String name, Matrix source) {
        int n = source.rows() * source.cols();
        Param p = new Param(name, 1, n);
        p.data = new float[n];
        for (int r = 0; r < source.rows(); r++) source.readRow(r, 0, source.cols(), p.data, r * source.cols());
        p.matrix = Matrix.of(p.data, 1, n);
        return p;
    }
}
