package io.jtune.io.gguf;

import java.util.Arrays;

/**
 * A tensor to write: its GGUF name, its shape in row-major (numpy/torch) order, the type it is
 * stored as, and where its values come from. The file stores the dims reversed (ne[0] is the
 * fastest-varying, i.e. the row length), as gguf-py's writer does.
 */
public record GgufTensor(String name, long[] shape, GgmlType type, TensorRows rows) {

    public GgufTensor {
        if (shape.length < 1 || shape.length > 4) throw new IllegalArgumentException(name + ": 1 to 4 dims, got " + shape.length);
        long elements = 1;
        for (long d : shape) elements *= d;
        long last = shape[shape.length - 1];
        if (rows.rowLength() != last || (long) rows.rowCount() * last != elements) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " does not match "
                    + rows.rowCount() + " rows of " + rows.rowLength());
        }
        shape = shape.clone();
    }

    /** A 2-D tensor [rows, cols] or a 1-D tensor [n] (when the source is a single row and {@code vector}). */
    public static GgufTensor matrix(String name, GgmlType type, TensorRows rows) {
        return new GgufTensor(name, new long[] {rows.rowCount(), rows.rowLength()}, type, rows);
    }

    public static GgufTensor vector(String name, GgmlType type, TensorRows rows) {
        if (rows.rowCount() != 1) throw new IllegalArgumentException(name + ": a vector is one row, got " + rows.rowCount());
        return new GgufTensor(name, new long[] {rows.rowLength()}, type, rows);
    }

    public long byteSize() {
        return type.rowBytes(rows.rowLength()) * rows.rowCount();
    }
}
