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
 * A matrix block-quantized as {@link Q8_0}: each row is cols/32 blocks of an fp16 scale d and 32
 * int8 codes q, as GGUF stores them, split at load into {@link BlockPlanes} (the codes in one
 * plane, the scales as fp32 in another: the decode GEMV's loop then spends no instructions on
 * converting scales). Rows are widened to fp32 as d·q, bit for bit what {@link Q8_0#dequantizeBlock}
 * gives, so a GEMM on this matrix equals the same GEMM on its dequantized fp32 copy.
 */
public final class Q8_0Matrix extends Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes loaded at once: at least a float vector's lanes' worth, at least 64 bits (the smallest shape). */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * Byte.SIZE)));

    private static final ValueLayout.OfFloat SCALE = BlockPlanes.SCALE;
    private static final int CODE_BYTES = Q8_0.BLOCK;

    private final BlockPlanes planes;

    private Q8_0Matrix(MemorySegment blocks, int rows, int cols) {
        super(rows, cols);
        Q8_0.requireWholeBlocks(cols);
        long bytes = (long) rows * Q8_0.bytes(cols);
        if (blocks.byteSize() != bytes) {
            throw new IllegalArgumentException("segment has " + blocks.byteSize() + " bytes, a " + rows + " x " + cols
                    + " Q8_0 matrix takes " + bytes);
        }
        this.planes = BlockPlanes.split(blocks, rows, cols / Q8_0.BLOCK, CODE_BYTES);
    }

    /**
     * GGUF Q8_0 tensor data: rows*cols/32 blocks of 34 bytes (cols a multiple of 32), copied into
     * the planes ({@link #blocks()} gives the bytes back).
     */
    public static Q8_0Matrix view(MemorySegment blocks, int rows, int cols) {
        return new Q8_0Matrix(blocks, rows, cols);
    }

    /** Quantizes {@code source} (any storage type; cols a multiple of 32) into a new Q8_0 matrix. */
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

    /** The blocks as GGUF stores them, in a new segment. */
    public MemorySegment blocks() {
        long count = (long) rows() * (cols() / Q8_0.BLOCK);
        MemorySegment out = Arena.ofAuto().allocate(count * Q8_0.BLOCK_BYTES);
        for (long i = 0; i < count; i++) planes.copyBlock(i, out, i * Q8_0.BLOCK_BYTES);
        return out;
    }

    /**
     * A partial block where the run starts inside one, then whole blocks through vectors, then a
     * partial block where it ends inside one.
     */
    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        int c = c0, end = c0 + len, o = dstOff;
        int head = Math.min(end, (c0 + Q8_0.BLOCK - 1) / Q8_0.BLOCK * Q8_0.BLOCK);
        if (c < head) {
            partialBlock(r, c, head - c, dst, o);
            o += head - c;
            c = head;
        }
        MemorySegment codes = planes.codes();
        long block = planes.block(r, c / Q8_0.BLOCK);
        for (; c + Q8_0.BLOCK <= end; c += Q8_0.BLOCK, o += Q8_0.BLOCK, block++) {
            wholeBlock(codes, planes.codesAt(block), planes.scale(block), dst, o);
        }
        if (c < end) partialBlock(r, c, end - c, dst, o);
    }

    /**
     * Four rows a block at a time: each block's scale once, its codes widened to fp32 and scaled in
     * registers (d·q, the same products as {@link #readRow}), then multiplied into the lanes. Needs
     * a float vector to fit a block whole (L divides 32) and to be loadable from L bytes. Each row's
     * codes and scales are slices, so C2 checks their bounds once per call, not per load. Each block
     * also reads a word of each of the two cache lines that hold the next four rows' codes for that
     * block index, as a prefetch ({@link ReadAhead}): the next call finds its codes in the cache
     * (`jtune bench decode --weights q8_0`, before and after alternating, three pairs: 23.9 / 23.3 /
     * 25.3 → 25.8 / 26.9 / 26.7 tok/s).
     */
    @Override
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        int l = F.length();
        if (Q8_0.BLOCK % l != 0 || B.length() != l) return false;
        MemorySegment c0 = planes.rowCodes(r), c1 = planes.rowCodes(r + 1), c2 = planes.rowCodes(r + 2), c3 = planes.rowCodes(r + 3);
        MemorySegment d0 = planes.rowScales(r), d1 = planes.rowScales(r + 1), d2 = planes.rowScales(r + 2), d3 = planes.rowScales(r + 3);
        MemorySegment next = planes.codesAhead(r);
        int ahead = 0;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int nb = cols() / Q8_0.BLOCK;
        for (int b = 0; b < nb; b++) {
            long line = (long) b * 2 * ReadAhead.LINE;
            ahead ^= next.get(ValueLayout.JAVA_INT_UNALIGNED, line) ^ next.get(ValueLayout.JAVA_INT_UNALIGNED, line + ReadAhead.LINE);
            float e0 = d0.getAtIndex(SCALE, b), e1 = d1.getAtIndex(SCALE, b), e2 = d2.getAtIndex(SCALE, b), e3 = d3.getAtIndex(SCALE, b);
            long at = (long) b * CODE_BYTES;
            int c = xi + b * Q8_0.BLOCK;
            for (int j = 0; j < Q8_0.BLOCK; j += l) {
                FloatVector xv = FloatVector.fromArray(F, x, c + j);
                s0 = xv.fma(codes(c0, at + j).mul(e0), s0);
                s1 = xv.fma(codes(c1, at + j).mul(e1), s1);
                s2 = xv.fma(codes(c2, at + j).mul(e2), s2);
                s3 = xv.fma(codes(c3, at + j).mul(e3), s3);
            }
        }
        ReadAhead.keep(ahead);
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
        return true;
    }

    /** L int8 codes from {@code at}, widened to fp32 (exact). */
    private static FloatVector codes(MemorySegment seg, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    /** dst[o .. o+32) = d·q for one block, a vector at a time (int8 to float is exact, so the products are the scalar ones). */
    private static void wholeBlock(MemorySegment codes, long at, float d, float[] dst, int o) {
        int lanes = F.length(), parts = B.length() / lanes;
        for (int j = 0; j < Q8_0.BLOCK; j += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, codes, at + j, ByteOrder.LITTLE_ENDIAN);
            for (int part = 0; part < parts; part++) {
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(dst, o + j + part * lanes);
            }
        }
    }

    /** dst[o .. o+n) = columns [c, c+n) of row r, all within one block, element by element. */
    private void partialBlock(int r, int c, int n, float[] dst, int o) {
        long block = planes.block(r, c / Q8_0.BLOCK);
        float d = planes.scale(block);
        long at = planes.codesAt(block) + c % Q8_0.BLOCK;
        for (int j = 0; j < n; j++) dst[o + j] = d * planes.codes().get(ValueLayout.JAVA_BYTE, at + j);
    }
}
