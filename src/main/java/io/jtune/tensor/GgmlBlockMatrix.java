package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight kept in one of llama.cpp's block-quantized formats ({@link GgmlBlockFormat}: Q4_0, Q4_1,
 * Q4_K, Q5_K, Q6_K) exactly as a GGUF file stores it (usually the mapped file itself): each row is
 * cols / blockSize blocks, rows one after another. The GEMM's packing widens a row run by decoding
 * the blocks it touches, so the weight stays in its 4-6 bits per element in memory. Q4_0, the
 * 4-bit format llama.cpp's decode speed is usually quoted for, also has the decode GEMV's fused loop.
 */
public final class GgmlBlockMatrix extends Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes loaded at once: a float vector's lanes' worth, at least 64 bits (the smallest shape). */
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * Byte.SIZE)));

    private final GgmlBlockFormat format;
    private final MemorySegment blocks;
    private final long rowBytes;

    private GgmlBlockMatrix(GgmlBlockFormat format, MemorySegment blocks, int rows, int cols) {
        super(rows, cols);
        this.format = format;
        this.rowBytes = format.rowBytes(cols);
        if (blocks.byteSize() != rows * rowBytes) {
            throw new IllegalArgumentException("segment has " + blocks.byteSize() + " bytes, a " + rows + " x " + cols + " "
                    + format + " matrix takes " + rows * rowBytes);
        }
        this.blocks = blocks;
    }

    /** A view of GGUF tensor data of this format: rows × cols/blockSize blocks. */
    public static GgmlBlockMatrix view(GgmlBlockFormat format, MemorySegment blocks, int rows, int cols) {
        return new GgmlBlockMatrix(format, blocks, rows, cols);
    }

    /**
     * Quantizes {@code source} (any storage type; cols a multiple of 32) into a new Q4_0 matrix with
     * ggml's reference quantizer. Its blocks live off the heap, as a mapped GGUF file's would (the
     * JIT compiles the loops for the segments it meets; mixing heap and native ones slows them).
     */
    public static GgmlBlockMatrix quantizeQ4_0(Matrix source) {
        int rows = source.rows(), cols = source.cols();
        int rowBytes = Math.toIntExact(GgmlBlockFormat.Q4_0.rowBytes(cols));
        MemorySegment blocks = Arena.ofAuto().allocate((long) rows * rowBytes, 64);
        float[] row = new float[cols];
        byte[] quantized = new byte[rowBytes];
        for (int r = 0; r < rows; r++) {
            source.readRow(r, 0, cols, row, 0);
            Q4_0.quantizeRow(row, 0, cols, quantized, 0);
            MemorySegment.copy(quantized, 0, blocks, ValueLayout.JAVA_BYTE, (long) r * rowBytes, rowBytes);
        }
        return new GgmlBlockMatrix(GgmlBlockFormat.Q4_0, blocks, rows, cols);
    }

    public GgmlBlockFormat format() {
        return format;
    }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        int bs = format.blockSize();
        int end = c0 + len;
        float[] block = new float[bs];
        long rowAt = r * rowBytes;
        int c = c0, o = dstOff;
        boolean vectorQ4_0 = format == GgmlBlockFormat.Q4_0 && F.length() == 16 && B.length() == 16;
        while (c < end) {
            int b = c / bs, inBlock = c - b * bs;
            int n = Math.min(bs - inBlock, end - c);
            if (inBlock == 0 && n == bs && vectorQ4_0) {
                q4_0Block(rowAt + (long) b * format.blockBytes(), dst, o);
            } else if (inBlock == 0 && n == bs) {
                decodeInto(rowAt + (long) b * format.blockBytes(), dst, o, block);
            } else {
                format.decode(blocks, rowAt + (long) b * format.blockBytes(), block);
                System.arraycopy(block, inBlock, dst, o, n);
            }
            c += n;
            o += n;
        }
    }

    /**
     * A whole Q4_0 block into dst[o .. o+32), 16 elements a vector: the same (q - 8)·d as
     * {@link GgmlBlockFormat#decode}, exact in fp32, so the same floats (the GEMM's packing reads
     * prefill's weights through here).
     */
    private void q4_0Block(long at, float[] dst, int o) {
        float d = GgmlBlockFormat.f16(blocks, at);
        IntVector q = (IntVector) ByteVector.fromMemorySegment(B, blocks, at + 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2I, I, 0);
        ((FloatVector) q.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o);
        ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o + 16);
    }

    private void decodeInto(long at, float[] dst, int o, float[] scratch) {
        format.decode(blocks, at, scratch);
        System.arraycopy(scratch, 0, dst, o, scratch.length);
    }

    /**
     * Q4_0's fused loop: four rows a block at a time, each block's scale once, its 16 code bytes
     * loaded into a vector (one byte an int lane; x86 has no byte shift) and split there into the
     * low nibbles (elements 0-15) and the high ones (16-31), each made q - 8, widened to fp32,
     * scaled by d (the same products as {@link GgmlBlockFormat#decode}: (q - 8)·d is exact in fp32)
     * and multiplied into the lanes, the low half before the high one so each lane sums its columns
     * in increasing order. Written out row by row: the JIT keeps vectors in registers only within
     * one method, and refused to inline small helpers here.
     */
    @Override
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        int l = F.length();
        if (format != GgmlBlockFormat.Q4_0 || l != 16 || B.length() != l) return false;
        MemorySegment seg = blocks;
        long a0 = r * rowBytes, a1 = a0 + rowBytes, a2 = a1 + rowBytes, a3 = a2 + rowBytes;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int k = cols();
        for (int c = 0; c < k; c += Q4_0.BLOCK, a0 += Q4_0.BLOCK_BYTES, a1 += Q4_0.BLOCK_BYTES,
                a2 += Q4_0.BLOCK_BYTES, a3 += Q4_0.BLOCK_BYTES) {
            FloatVector lo = FloatVector.fromArray(F, x, xi + c), hi = FloatVector.fromArray(F, x, xi + c + 16);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, seg, a0 + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, seg, a1 + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
            IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, seg, a2 + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
            IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, seg, a3 + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
            float d0 = GgmlBlockFormat.f16(seg, a0), d1 = GgmlBlockFormat.f16(seg, a1);
            float d2 = GgmlBlockFormat.f16(seg, a2), d3 = GgmlBlockFormat.f16(seg, a3);
            s0 = lo.fma(((FloatVector) q0.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d0), s0);
            s1 = lo.fma(((FloatVector) q1.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d1), s1);
            s2 = lo.fma(((FloatVector) q2.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d2), s2);
            s3 = lo.fma(((FloatVector) q3.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d3), s3);
            s0 = hi.fma(((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d0), s0);
            s1 = hi.fma(((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d1), s1);
            s2 = hi.fma(((FloatVector) q2.lanewise(VectorOperators.LSHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d2), s2);
            s3 = hi.fma(((FloatVector) q3.lanewise(VectorOperators.LSHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d3), s3);
        }
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
        return true;
    }
}
