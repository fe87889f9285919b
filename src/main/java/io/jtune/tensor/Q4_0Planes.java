package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 blocks repacked at load for the decode GEMV, still Q4_0: GGUF interleaves each block's fp16
 * scale with its 16 code bytes (18 bytes a block); here the codes of block b of row r are 16
 * bytes at (r·blocksPerRow + b)·16 of one plane (aligned, so a load never straddles two cache
 * lines) and its scale is an fp32 at the same index of another. The fp32 scale is fp16's value
 * exactly, so every element is the same (q - 8)·d as {@link GgmlBlockFormat#decode} gives and
 * {@link #block} gives the GGUF bytes back.
 *
 * <p>Why fp32 scales: the fused loop is bound by vector instructions, not by memory (a Q4_0 model
 * of the sizes decoded here fits in L3), and converting each block's fp16 scale and broadcasting
 * it cost four of them of about a dozen; a stored fp32 is broadcast by the load itself.
 */
final class Q4_0Planes {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Lane q holds q - 8: times a block's scale it is the block's 16-entry decode table. */
    private static final FloatVector CODE_VALUES =
            FloatVector.fromArray(F, new float[] {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7}, 0);
    private static final int CODE_BYTES = Q4_0.BLOCK / 2;

    private final MemorySegment codes;
    private final MemorySegment scales;
    private final int blocksPerRow;

    private Q4_0Planes(MemorySegment codes, MemorySegment scales, int blocksPerRow) {
        this.codes = codes;
        this.scales = scales;
        this.blocksPerRow = blocksPerRow;
    }

    /** The fused loop runs where a float vector has 16 lanes (AVX-512): one lane per code byte. */
    static boolean vectorized() {
        return FloatVector.SPECIES_PREFERRED.length() == 16;
    }

    /** Splits GGUF Q4_0 data (rows × cols/32 blocks of 18 bytes) into the two planes, off the heap. */
    static Q4_0Planes repack(MemorySegment blocks, int rows, int cols) {
        int nb = cols / Q4_0.BLOCK;
        long count = (long) rows * nb;
        MemorySegment codes = Arena.ofAuto().allocate(count * CODE_BYTES, 64);
        MemorySegment scales = Arena.ofAuto().allocate(count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            long at = i * Q4_0.BLOCK_BYTES;
            scales.setAtIndex(FLOAT_LE, i, Float.float16ToFloat(blocks.get(SHORT_LE, at)));
            MemorySegment.copy(blocks, at + 2, codes, i * CODE_BYTES, CODE_BYTES);
        }
        return new Q4_0Planes(codes, scales, nb);
    }

    /** Block b of row r as GGUF stores it (fp16 scale, 16 code bytes) into dst[at .. at+18). */
    void block(int r, int b, MemorySegment dst, long at) {
        long i = (long) r * blocksPerRow + b;
        dst.set(SHORT_LE, at, Float.floatToFloat16(scales.getAtIndex(FLOAT_LE, i)));
        MemorySegment.copy(codes, i * CODE_BYTES, dst, at + 2, CODE_BYTES);
    }

    /** Block b of row r widened into dst[o .. o+32). */
    void decodeBlock(int r, int b, float[] dst, int o) {
        long i = (long) r * blocksPerRow + b;
        float d = scales.getAtIndex(FLOAT_LE, i);
        if (vectorized()) {
            IntVector table = CODE_VALUES.mul(d).reinterpretAsInts();
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, codes, i * CODE_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            q.selectFrom(table).reinterpretAsFloats().intoArray(dst, o);
            q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().intoArray(dst, o + CODE_BYTES);
            return;
        }
        for (int j = 0; j < CODE_BYTES; j++) {
            int packed = codes.get(ValueLayout.JAVA_BYTE, i * CODE_BYTES + j) & 0xFF;
            dst[o + j] = ((packed & 0xF) - 8) * d;
            dst[o + j + CODE_BYTES] = ((packed >>> 4) - 8) * d;
        }
    }

    /**
     * The decode GEMV's loop ({@link Matrix#dotRows4}) for rows r .. r+3 over all k columns:
     * per block and row, the scale times {@link #CODE_VALUES} is a table of the block's 16 weight
     * values ((q - 8)·d, exact), each code picks its weight with one permute (the low nibble indexes
     * directly: a 16-lane select reads only an index's low 4 bits; the high one after a shift), and
     * the weights go into the lanes' fma chains, low half (elements 0-15) before high (16-31), so each
     * lane sums its columns in increasing order. Per row slices let C2 check bounds once per call.
     * Written out row by row: the JIT keeps vectors in registers only within one method.
     */
    void dotRows4(float[] x, int xi, int r, float[] lanes) {
        int nb = blocksPerRow;
        long codeRow = (long) nb * CODE_BYTES, scaleRow = (long) nb * Float.BYTES;
        MemorySegment c0 = codes.asSlice(r * codeRow, codeRow), c1 = codes.asSlice((r + 1) * codeRow, codeRow);
        MemorySegment c2 = codes.asSlice((r + 2) * codeRow, codeRow), c3 = codes.asSlice((r + 3) * codeRow, codeRow);
        MemorySegment d0 = scales.asSlice(r * scaleRow, scaleRow), d1 = scales.asSlice((r + 1) * scaleRow, scaleRow);
        MemorySegment d2 = scales.asSlice((r + 2) * scaleRow, scaleRow), d3 = scales.asSlice((r + 3) * scaleRow, scaleRow);
        FloatVector values = CODE_VALUES;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int b = 0; b < nb; b++) {
            int c = xi + b * Q4_0.BLOCK;
            long at = (long) b * CODE_BYTES;
            FloatVector lo = FloatVector.fromArray(F, x, c), hi = FloatVector.fromArray(F, x, c + CODE_BYTES);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, c0, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, c1, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, c2, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, c3, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector t0 = values.mul(d0.getAtIndex(FLOAT_LE, b)).reinterpretAsInts();
            IntVector t1 = values.mul(d1.getAtIndex(FLOAT_LE, b)).reinterpretAsInts();
            IntVector t2 = values.mul(d2.getAtIndex(FLOAT_LE, b)).reinterpretAsInts();
            IntVector t3 = values.mul(d3.getAtIndex(FLOAT_LE, b)).reinterpretAsInts();
            s0 = lo.fma(q0.selectFrom(t0).reinterpretAsFloats(), s0);
            s1 = lo.fma(q1.selectFrom(t1).reinterpretAsFloats(), s1);
            s2 = lo.fma(q2.selectFrom(t2).reinterpretAsFloats(), s2);
            s3 = lo.fma(q3.selectFrom(t3).reinterpretAsFloats(), s3);
            s0 = hi.fma(q0.lanewise(VectorOperators.LSHR, 4).selectFrom(t0).reinterpretAsFloats(), s0);
            s1 = hi.fma(q1.lanewise(VectorOperators.LSHR, 4).selectFrom(t1).reinterpretAsFloats(), s1);
            s2 = hi.fma(q2.lanewise(VectorOperators.LSHR, 4).selectFrom(t2).reinterpretAsFloats(), s2);
            s3 = hi.fma(q3.lanewise(VectorOperators.LSHR, 4).selectFrom(t3).reinterpretAsFloats(), s3);
        }
        int l = F.length();
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
    }
}
