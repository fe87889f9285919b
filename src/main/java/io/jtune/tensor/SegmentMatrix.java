package io.jtune.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A dense matrix in a segment, little-endian, in the checkpoint's dtype: frozen weights as
 * safetensors stores them, usually memory-mapped. One subclass per dtype, each with its own
 * widening loop, so that reading a row never asks which dtype it is.
 */
abstract sealed class SegmentMatrix extends Matrix {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment segment;

    private SegmentMatrix(MemorySegment segment, int rows, int cols) {
        super(rows, cols);
        this.segment = segment;
    }

    static SegmentMatrix view(MemorySegment segment, DType dtype, int rows, int cols) {
        if (!dtype.isComputable()) throw new IllegalArgumentException("not a float dtype: " + dtype);
        long bytes = (long) rows * cols * dtype.byteSize();
        if (segment.byteSize() != bytes) {
            throw new IllegalArgumentException("segment has " + segment.byteSize() + " bytes, expected " + bytes);
        }
        return switch (dtype) {
            case F32 -> new F32(segment, rows, cols);
            case BF16 -> new Bf16(segment, rows, cols);
            case F16 -> new F16(segment, rows, cols);
            default -> throw new IllegalStateException();
        };
    }

    /**
     * Drops a memory-mapped matrix's pages from memory once it has been read for good (quantized):
     * they count towards the process's resident memory until the kernel needs them back.
     */
    static void release(Matrix m) {
        if (m instanceof SegmentMatrix s && s.segment.isMapped()) s.segment.unload();
    }

    /** Index of element (r, c) in the segment, counted in elements. */
    final long index(int r, int c) {
        return (long) r * cols() + c;
    }

    /** fp32: a vector copy. */
    static final class F32 extends SegmentMatrix {
        F32(MemorySegment segment, int rows, int cols) { super(segment, rows, cols); }

        @Override
        public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
            long at = 4 * index(r, c0);
            int lanes = F.length();
            int j = 0;
            for (; j + lanes <= len; j += lanes) {
                FloatVector.fromMemorySegment(F, segment, at + 4L * j, ByteOrder.LITTLE_ENDIAN).intoArray(dst, dstOff + j);
            }
            for (; j < len; j++) dst[dstOff + j] = segment.get(FLOAT_LE, at + 4L * j);
        }

        @Override
        boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
            int k = cols(), l = F.length(), body = k - k % l;
            MemorySegment seg = segment;
            long a0 = 4 * index(r, 0), a1 = a0 + 4L * k, a2 = a1 + 4L * k, a3 = a2 + 4L * k;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int p = 0; p < body; p += l) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + p);
                long b = 4L * p;
                s0 = xv.fma(FloatVector.fromMemorySegment(F, seg, a0 + b, ByteOrder.LITTLE_ENDIAN), s0);
                s1 = xv.fma(FloatVector.fromMemorySegment(F, seg, a1 + b, ByteOrder.LITTLE_ENDIAN), s1);
                s2 = xv.fma(FloatVector.fromMemorySegment(F, seg, a2 + b, ByteOrder.LITTLE_ENDIAN), s2);
                s3 = xv.fma(FloatVector.fromMemorySegment(F, seg, a3 + b, ByteOrder.LITTLE_ENDIAN), s3);
            }
            s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
            return true;
        }
    }

    /** bf16 is the top half of an fp32, so widening it is a 16-bit shift, done a whole vector at a time. */
    static final class Bf16 extends SegmentMatrix {
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Short> S =
                VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * Short.SIZE));

        Bf16(MemorySegment segment, int rows, int cols) { super(segment, rows, cols); }

        @Override
        public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
            long at = 2 * index(r, c0);
            int lanes = F.length();
            int j = 0;
            for (; j + lanes <= len; j += lanes) {
                ShortVector.fromMemorySegment(S, segment, at + 2L * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, I, 0)
                        .lanewise(VectorOperators.LSHL, 16)
                        .reinterpretAsFloats()
                        .intoArray(dst, dstOff + j);
            }
            for (; j < len; j++) dst[dstOff + j] = Numbers.bf16ToFloat(segment.get(SHORT_LE, at + 2L * j));
        }

        /** Four rows' bf16 read once each, shifted into fp32 in registers and multiplied there. */
        @Override
        boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
            int k = cols(), l = F.length(), body = k - k % l;
            MemorySegment seg = segment;
            long a0 = 2 * index(r, 0), a1 = a0 + 2L * k, a2 = a1 + 2L * k, a3 = a2 + 2L * k;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int p = 0; p < body; p += l) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + p);
                long b = 2L * p;
                s0 = xv.fma(widen(seg, a0 + b), s0);
                s1 = xv.fma(widen(seg, a1 + b), s1);
                s2 = xv.fma(widen(seg, a2 + b), s2);
                s3 = xv.fma(widen(seg, a3 + b), s3);
            }
            s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
            return true;
        }

        /**
         * Eight rows at once, for one token row, where nothing else reuses the weights: eight weight
         * streams in flight per core instead of four kept more memory reads under way (measured on
         * the decode step's products, one token row: 5-6% less time). Each row's chain is dotRows4's.
         * Sixteen rows in one loop are past what C2 inlines in one method (a tenfold slowdown).
         */
        @Override
        boolean dotRows8(float[] x, int xi, int r, float[] lanes) {
            int k = cols(), l = F.length(), body = k - k % l;
            MemorySegment seg = segment;
            long rb = 2L * k, a0 = 2 * index(r, 0), a1 = a0 + rb, a2 = a1 + rb, a3 = a2 + rb;
            long a4 = a3 + rb, a5 = a4 + rb, a6 = a5 + rb, a7 = a6 + rb;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int p = 0; p < body; p += l) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + p);
                long b = 2L * p;
                s0 = xv.fma(widen(seg, a0 + b), s0);
                s1 = xv.fma(widen(seg, a1 + b), s1);
                s2 = xv.fma(widen(seg, a2 + b), s2);
                s3 = xv.fma(widen(seg, a3 + b), s3);
                s4 = xv.fma(widen(seg, a4 + b), s4);
                s5 = xv.fma(widen(seg, a5 + b), s5);
                s6 = xv.fma(widen(seg, a6 + b), s6);
                s7 = xv.fma(widen(seg, a7 + b), s7);
            }
            s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
            s4.intoArray(lanes, 4 * l); s5.intoArray(lanes, 5 * l); s6.intoArray(lanes, 6 * l); s7.intoArray(lanes, 7 * l);
            return true;
        }

        static FloatVector widen(MemorySegment seg, long at) {
            return (FloatVector) ShortVector.fromMemorySegment(S, seg, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats();
        }
    }

    /**
     * f16, widened a vector at a time with integer operations, bit for bit as
     * {@link Float#float16ToFloat}: the exponent and mantissa bits moved up to fp32's place and
     * multiplied by 2^112 (exact, and right for subnormals too, which become normal fp32), infinities
     * and NaNs given fp32's all-ones exponent (NaNs made quiet, as the JDK does), the sign put back.
     */
    static final class F16 extends SegmentMatrix {
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Short> S =
                VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * Short.SIZE));

        F16(MemorySegment segment, int rows, int cols) { super(segment, rows, cols); }

        @Override
        public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
            long at = 2 * index(r, c0);
            int lanes = F.length();
            int j = 0;
            for (; j + lanes <= len; j += lanes) widen(segment, at + 2L * j).intoArray(dst, dstOff + j);
            for (; j < len; j++) dst[dstOff + j] = Numbers.f16ToFloat(segment.get(SHORT_LE, at + 2L * j));
        }

        // No fused dotRows4: with four rows' conversions in one loop C2 keeps too many vectors live and
        // it ran slower than widening a chunk into L1 and multiplying there (Gemv's fallback).

        static FloatVector widen(MemorySegment seg, long at) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = h.and(0x7fff);
            IntVector moved = magnitude.lanewise(VectorOperators.LSHL, 13);
            IntVector finite = ((FloatVector) moved.reinterpretAsFloats()).mul(0x1p112f).reinterpretAsInts();
            IntVector bits = finite.blend(moved.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00))
                    .blend(moved.or(0x7fc00000), magnitude.compare(VectorOperators.GT, 0x7c00));   // NaNs quiet, as the JDK's
            return (FloatVector) bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
        }
    }
}
