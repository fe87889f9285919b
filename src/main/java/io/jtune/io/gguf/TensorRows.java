package io.jtune.io.gguf;

import io.jtune.tensor.Matrix;

/**
 * A source of a tensor's values, read one row at a time and widened to fp32, so the writer can
 * stream a model tensor by tensor without a second copy of it in memory.
 */
public interface TensorRows {
    int rowCount();

    int rowLength();

    /** Copies row r (rowLength values) into dst[0 .. rowLength). */
    void readRow(int r, float[] dst);

    static TensorRows of(Matrix m) {
        return new TensorRows() {
            @Override public int rowCount() { return m.rows(); }
            @Override public int rowLength() { return m.cols(); }
            @Override public void readRow(int r, float[] dst) { m.readRow(r, 0, m.cols(), dst, 0); }
        };
    }

    /** A single row: a 1-D tensor such as a norm weight or a bias. */
    static TensorRows vector(float[] values) {
        return new TensorRows() {
            @Override public int rowCount() { return 1; }
            @Override public int rowLength() { return values.length; }
            @Override public void readRow(int r, float[] dst) { System.arraycopy(values, 0, dst, 0, values.length); }
        };
    }

    /** Rows taken in another order: row r of the result is row {@code order[r]} of this. */
    default TensorRows reorderRows(int[] order) {
        TensorRows base = this;
        if (order.length != base.rowCount()) throw new IllegalArgumentException("order has " + order.length + " rows, tensor " + base.rowCount());
        return new TensorRows() {
            @Override public int rowCount() { return order.length; }
            @Override public int rowLength() { return base.rowLength(); }
            @Override public void readRow(int r, float[] dst) { base.readRow(order[r], dst); }
        };
    }

    /** The first {@code n} rows (Gemma 3's converter drops the embedding rows past the tokenizer's vocabulary). */
    default TensorRows firstRows(int n) {
        TensorRows base = this;
        if (n < 0 || n > base.rowCount()) throw new IllegalArgumentException("cannot take " + n + " of " + base.rowCount() + " rows");
        return new TensorRows() {
            @Override public int rowCount() { return n; }
            @Override public int rowLength() { return base.rowLength(); }
            @Override public void readRow(int r, float[] dst) { base.readRow(r, dst); }
        };
    }
}
