package io.jtune.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 blocks as {@link BlockPlanes} (split at load into a code plane and an fp32 scale plane,
 * still Q4_0) with the ways to read them: a block widened, and the decode GEMV's fused loop.
 */
final class Q4_0Planes {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ValueLayout.OfFloat SCALE = BlockPlanes.SCALE;
    /** Lane q holds q - 8: times a block's scale it is the block's 16-entry decode table. */
    private static final FloatVector CODE_VALUES =
            FloatVector.fromArray(F, new float[] {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7}, 0);
    private static final int CODE_BYTES = Q4_0.BLOCK / 2;

    private final BlockPlanes planes;
    private final int blocksPerRow;

    private Q4_0Planes(BlockPlanes planes, int blocksPerRow) {
        this.planes = planes;
        this.blocksPerRow = blocksPerRow;
    }

    /** The vector paths run where a float vector has 16 lanes (AVX-512): one lane per code byte. */
    static boolean vectorized() {
        return FloatVector.SPECIES_PREFERRED.length() == 16;
    }

    /** Splits GGUF Q4_0 data (rows × cols/32 blocks of 18 bytes). */
    static Q4_0Planes repack(MemorySegment blocks, int rows, int cols) {
        int nb = cols / Q4_0.BLOCK;
        return new Q4_0Planes(BlockPlanes.split(blocks, rows, nb, CODE_BYTES), nb);
    }

    /** Block b of row r as GGUF stores it (fp16 scale, 16 code bytes) into dst[at .. at+18). */
    void copyBlock(int r, int b, MemorySegment dst, long at) {
        planes.copyBlock(planes.block(r, b), dst, at);
    }

    /** Block b of row r widened into dst[o .. o+32): (q - 8)·d, as {@link GgmlBlockFormat#decode} gives. */
    void decodeBlock(int r, int b, float[] dst, int o) {
        long i = planes.block(r, b);
        float d = planes.scale(i);
        MemorySegment codes = planes.codes();
        long at = planes.codesAt(i);
        if (vectorized()) {
            IntVector table = CODE_VALUES.mul(d).reinterpretAsInts();
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, codes, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            q.selectFrom(table).reinterpretAsFloats().intoArray(dst, o);
            q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().intoArray(dst, o + CODE_BYTES);
            return;
        }
        for (int j = 0; j < CODE_BYTES; j++) {
            int packed = codes.get(ValueLayout.JAVA_BYTE, at + j) & 0xFF;
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
     *
     * <p>Each block also reads a word of the next four rows' codes, one cache line a block (four rows
     * of codes are 64 bytes a block), as a prefetch ({@link ReadAhead}): the next call finds its codes
     * in the cache. Figures in docs/benchmarks.md.
     */
    void dotRows4(float[] x, int xi, int r, float[] lanes) {
        int nb = blocksPerRow;
        MemorySegment c0 = planes.rowCodes(r), c1 = planes.rowCodes(r + 1), c2 = planes.rowCodes(r + 2), c3 = planes.rowCodes(r + 3);
        MemorySegment d0 = planes.rowScales(r), d1 = planes.rowScales(r + 1), d2 = planes.rowScales(r + 2), d3 = planes.rowScales(r + 3);
        MemorySegment next = planes.codesAhead(r);
        int ahead = 0;
        FloatVector values = CODE_VALUES;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int b = 0; b < nb; b++) {
            ahead ^= next.get(ValueLayout.JAVA_INT_UNALIGNED, (long) b * ReadAhead.LINE);
            int c = xi + b * Q4_0.BLOCK;
            long at = (long) b * CODE_BYTES;
            FloatVector lo = FloatVector.fromArray(F, x, c), hi = FloatVector.fromArray(F, x, c + CODE_BYTES);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, c0, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, c1, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, c2, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, c3, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector t0 = values.mul(d0.getAtIndex(SCALE, b)).reinterpretAsInts();
            IntVector t1 = values.mul(d1.getAtIndex(SCALE, b)).reinterpretAsInts();
            IntVector t2 = values.mul(d2.getAtIndex(SCALE, b)).reinterpretAsInts();
            IntVector t3 = values.mul(d3.getAtIndex(SCALE, b)).reinterpretAsInts();
            s0 = lo.fma(q0.selectFrom(t0).reinterpretAsFloats(), s0);
            s1 = lo.fma(q1.selectFrom(t1).reinterpretAsFloats(), s1);
            s2 = lo.fma(q2.selectFrom(t2).reinterpretAsFloats(), s2);
            s3 = lo.fma(q3.selectFrom(t3).reinterpretAsFloats(), s3);
            s0 = hi.fma(q0.lanewise(VectorOperators.LSHR, 4).selectFrom(t0).reinterpretAsFloats(), s0);
            s1 = hi.fma(q1.lanewise(VectorOperators.LSHR, 4).selectFrom(t1).reinterpretAsFloats(), s1);
            s2 = hi.fma(q2.lanewise(VectorOperators.LSHR, 4).selectFrom(t2).reinterpretAsFloats(), s2);
            s3 = hi.fma(q3.lanewise(VectorOperators.LSHR, 4).selectFrom(t3).reinterpretAsFloats(), s3);
        }
        ReadAhead.keep(ahead);
        int l = F.length();
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
    }
}
