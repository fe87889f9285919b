package io.jtune.io.gguf;

import io.jtune.JtuneException;
import io.jtune.tensor.GgmlBlockFormat;

/**
 * The tensor element types jtune writes and reads, with llama.cpp's ids (GGMLQuantizationType) and
 * block layout: a block of {@code blockSize} elements takes {@code typeSize} bytes.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** 32 elements: an fp16 scale d followed by 32 int8 quants, x ≈ d * q. */
    Q8_0(8, 32, 34),
    BF16(30, 1, 2),
    /** Read only (llama.cpp's block layouts in {@link GgmlBlockFormat}): 4-bit with a scale per 32. */
    Q4_0(2, 32, 18),
    /** Read only: 4-bit with a scale and a minimum per 32. */
    Q4_1(3, 32, 20),
    /** Read only: k-quant, 4-bit in super-blocks of 256 with 6-bit sub-block scales and mins. */
    Q4_K(12, 256, 144),
    /** Read only: k-quant, 5-bit in super-blocks of 256. */
    Q5_K(13, 256, 176),
    /** Read only: k-quant, 6-bit in super-blocks of 256 with int8 sub-block scales. */
    Q6_K(14, 256, 210);

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

    /** The block decoder of a read-only quantized type, or null for F32, F16, BF16 and Q8_0. */
    public GgmlBlockFormat blockFormat() {
        return switch (this) {
            case Q4_0 -> GgmlBlockFormat.Q4_0;
            case Q4_1 -> GgmlBlockFormat.Q4_1;
            case Q4_K -> GgmlBlockFormat.Q4_K;
            case Q5_K -> GgmlBlockFormat.Q5_K;
            case Q6_K -> GgmlBlockFormat.Q6_K;
            default -> null;
        };
    }

    public static GgmlType fromId(int id, String where) {
        for (GgmlType t : values()) {
            if (t.id == id) return t;
        }
        throw new JtuneException(where + ": tensor type " + id + " is not supported by jtune's GGUF reader"
                + " (supported: F32=0, F16=1, Q4_0=2, Q4_1=3, Q8_0=8, Q4_K=12, Q5_K=13, Q6_K=14, BF16=30)");
    }
}
