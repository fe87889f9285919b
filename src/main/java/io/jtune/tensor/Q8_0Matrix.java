package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A matrix block-quantized as {@link Q8_0}, laid out as GGUF stores it: each row is cols/32 blocks
 * of 34 bytes (fp16 scale, 32 int8 codes), rows one after another. Rows are widened to fp32 as
 * fp16(d)·q, bit for bit what {@link Q8_0#dequantizeBlock} gives, so a GEMM on this matrix equals
 * the same GEMM on its dequantized fp32 copy.
 */
public final class Q8_0Matrix extends Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes loaded at once: at least a float vector's lanes' worth, at least 64 bits (the smallest shape). */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * Byte.SIZE)));
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment blocks;
    private final long rowBytes;

    private Q8_0Matrix(MemorySegment blocks, int rows, int cols) {
        super(rows, cols);
        Q8_0.requireWholeBlocks(cols);
        long bytes = (long) rows * Q8_0.bytes(cols);
        if (blocks.byteSize() != bytes) {
            throw new IllegalArgumentException("segment has " + blocks.byteSize() + " bytes, a " + rows + " x " + cols
                    + " Q8_0 matrix takes " + bytes);
        }
        this.blocks = blocks;
        this.rowBytes = Q8_0.bytes(cols);
    }

    /**
     * A view of GGUF Q8_0 tensor data: rows*cols/32 blocks of 34 bytes (cols a multiple of 32),
     * best a native or mapped segment (see {@link #quantize(Matrix)}).
     */
    public static Q8_0Matrix view(MemorySegment blocks, int rows, int cols) {
        return new Q8_0Matrix(blocks, rows, cols);
    }

    /**
     * Quantizes {@code source} (any storage type; cols a multiple of 32) into a new Q8_0 matrix.
     * Its blocks live off the heap, freed when the matrix is unreachable: the JIT compiles the
     * widening for the segments it has seen, and one that meets both heap and native segments
     * (mapped GGUF files are native) runs several times slower.
     */
    public static Q8_0Matrix quantize(Matrix source) {
        int rows = source.rows(), cols = source.cols();
        Q8_0.requireWholeBlocks(cols);
        int rowBytes = Math.toIntExact(Q8_0.bytes(cols));
        MemorySegment blocks = Arena.ofAuto().allocate((long) rows * rowBytes, 64);
        float[] row = new float[cols];
        byte[] quantized = new byte[rowBytes];
        for (int r = 0; r < rows; r++) {
            source.readRow(r, 0, cols, row, 0);
            Q8_0.quantizeRow(row, 0, cols, quantized, 0);
            MemorySegment.copy(quantized, 0, blocks, ValueLayout.JAVA_BYTE, (long) r * rowBytes, rowBytes);
        }
        return new Q8_0Matrix(blocks, rows, cols);
    }

    /** Quantizes fp32 data [rows x cols], row-major (cols a multiple of 32). */
    public static Q8_0Matrix quantize(float[] data, int rows, int cols) {
        return quantize(Matrix.of(data, rows, cols));
    }

    /** The blocks, as GGUF stores them. */
    public MemorySegment blocks() {
        return blocks;
    }

    /**
     * A partial block where the run starts inside one, then whole blocks through vectors, then a
     * partial block where it ends inside one.
     */
    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        MemorySegment seg = blocks;
        long rowAt = r * rowBytes;
        int c = c0, end = c0 + len, o = dstOff;
        int head = Math.min(end, (c0 + Q8_0.BLOCK - 1) / Q8_0.BLOCK * Q8_0.BLOCK);
        if (c < head) {
            partialBlock(seg, rowAt, c, head - c, dst, o);
            o += head - c;
            c = head;
        }
        long blockAt = rowAt + (long) (c / Q8_0.BLOCK) * Q8_0.BLOCK_BYTES;
        for (; c + Q8_0.BLOCK <= end; c += Q8_0.BLOCK, o += Q8_0.BLOCK, blockAt += Q8_0.BLOCK_BYTES) {
            wholeBlock(seg, blockAt, dst, o);
        }
        if (c < end) partialBlock(seg, rowAt, c, end - c, dst, o);
    }

    /**
     * Four rows a block at a time: each block's scale once, its codes widened to fp32 and scaled in
     * registers (d·q, the same products as {@link #readRow}), then multiplied into the lanes. Needs
     * a float vector to fit a block whole (L divides 32) and to be loadable from L bytes.
     */
    @Override
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        int l = F.length();
        if (Q8_0.BLOCK % l != 0 || B.length() != l) return false;
        MemorySegment seg = blocks;
        long a0 = r * rowBytes, a1 = a0 + rowBytes, a2 = a1 + rowBytes, a3 = a2 + rowBytes;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int k = cols();
        for (int c = 0; c < k; c += Q8_0.BLOCK, a0 += Q8_0.BLOCK_BYTES, a1 += Q8_0.BLOCK_BYTES,
                a2 += Q8_0.BLOCK_BYTES, a3 += Q8_0.BLOCK_BYTES) {
            float d0 = Numbers.f16ToFloat(seg.get(SHORT_LE, a0)), d1 = Numbers.f16ToFloat(seg.get(SHORT_LE, a1));
            float d2 = Numbers.f16ToFloat(seg.get(SHORT_LE, a2)), d3 = Numbers.f16ToFloat(seg.get(SHORT_LE, a3));
            for (int j = 0; j < Q8_0.BLOCK; j += l) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + c + j);
                s0 = xv.fma(codes(seg, a0 + 2 + j).mul(d0), s0);
                s1 = xv.fma(codes(seg, a1 + 2 + j).mul(d1), s1);
                s2 = xv.fma(codes(seg, a2 + 2 + j).mul(d2), s2);
                s3 = xv.fma(codes(seg, a3 + 2 + j).mul(d3), s3);
            }
        }
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
        return true;
    }

    /** L int8 codes from {@code at}, widened to fp32 (exact). */
    private static FloatVector codes(MemorySegment seg, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    /** dst[o .. o+32) = d·q for one block, a vector at a time (int8 to float is exact, so the products are the scalar ones). */
    private static void wholeBlock(MemorySegment seg, long blockAt, float[] dst, int o) {
        float d = Numbers.f16ToFloat(seg.get(SHORT_LE, blockAt));
        int lanes = F.length(), parts = B.length() / lanes;
        for (int j = 0; j < Q8_0.BLOCK; j += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, seg, blockAt + 2 + j, ByteOrder.LITTLE_ENDIAN);
            for (int part = 0; part < parts; part++) {
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(dst, o + j + part * lanes);
            }
        }
    }

    /** dst[o .. o+n) = columns [c, c+n) of the row, all within one block, element by element. */
    private static void partialBlock(MemorySegment seg, long rowAt, int c, int n, float[] dst, int o) {
        long blockAt = rowAt + (long) (c / Q8_0.BLOCK) * Q8_0.BLOCK_BYTES;
        float d = Numbers.f16ToFloat(seg.get(SHORT_LE, blockAt));
        long codes = blockAt + 2 + c % Q8_0.BLOCK;
        for (int j = 0; j < n; j++) dst[o + j] = d * seg.get(ValueLayout.JAVA_BYTE, codes + j);
    }
}
