package io.jtune.io.gguf;

import io.jtune.JtuneException;

/**
 * The tensor element types jtune writes and reads, with llama.cpp's ids (GGMLQuantizationType) and
 * block layout: a block of {@code blockSize} elements takes {@code typeSize} bytes.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** 32 elements: an fp16 scale d followed by 32 int8 quants, x ≈ d * q. */
    Q8_0(8, 32, 34),
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    public int id() { return id; }
    public int blockSize() { return blockSize; }
    public int typeSize() { return typeSize; }

    /** Bytes taken by a row of {@code elements} elements (a whole number of blocks). */
    public long rowBytes(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(name() + " rows must hold a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * typeSize;
    }

    public static GgmlType fromId(int id, String where) {
        for (GgmlType t : values()) {
            if (t.id == id) return t;
        }
        throw new JtuneException(where + ": tensor type " + id + " is not supported by jtune's GGUF reader"
                + " (supported: F32=0, F16=1, Q8_0=8, BF16=30)");
    }
}
