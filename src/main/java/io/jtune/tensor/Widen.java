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
 * Reads a run of a {@link Matrix} row as fp32, whatever the matrix stores: the step where frozen
 * bf16/f16 weights become fp32 inside a GEMM's packing. bf16 is the top half of an fp32, so
 * widening it is a 16-bit shift, done here a whole vector at a time.
 */
final class Widen {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * Short.SIZE));
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Widen() {}

    /** dst[off .. off+len) = m[r][c0 .. c0+len) as fp32. */
    static void row(Matrix m, int r, int c0, int len, float[] dst, int off) {
        long index = (long) r * m.cols() + c0;
        if (m.isHeap()) {
            System.arraycopy(m.heapArray(), m.heapOffset() + (int) index, dst, off, len);
            return;
        }
        MemorySegment seg = m.segment();
        switch (m.dtype()) {
            case F32 -> f32(seg, index * 4, len, dst, off);
            case BF16 -> bf16(seg, index * 2, len, dst, off);
            case F16 -> {
                for (int j = 0; j < len; j++) dst[off + j] = Float.float16ToFloat(seg.get(SHORT_LE, (index + j) * 2));
            }
            default -> throw new IllegalStateException("not a float matrix: " + m.dtype());
        }
    }

    private static void f32(MemorySegment seg, long byteOffset, int len, float[] dst, int off) {
        int lanes = F.length();
        int j = 0;
        for (; j + lanes <= len; j += lanes) {
            FloatVector.fromMemorySegment(F, seg, byteOffset + 4L * j, ByteOrder.LITTLE_ENDIAN).intoArray(dst, off + j);
        }
        for (; j < len; j++) dst[off + j] = seg.get(FLOAT_LE, byteOffset + 4L * j);
    }

    private static void bf16(MemorySegment seg, long byteOffset, int len, float[] dst, int off) {
        int lanes = F.length();
        int j = 0;
        for (; j + lanes <= len; j += lanes) {
            ShortVector.fromMemorySegment(S, seg, byteOffset + 2L * j, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats()
                    .intoArray(dst, off + j);
        }
        for (; j < len; j++) dst[off + j] = Numbers.bf16ToFloat(seg.get(SHORT_LE, byteOffset + 2L * j));
    }
}
