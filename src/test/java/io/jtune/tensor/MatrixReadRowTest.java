package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every storage type's {@link Matrix#readRow} against a scalar reference written from the format
 * alone: runs of every length from every start column (vector bodies and scalar tails), at an
 * offset into dst, touching nothing outside the run.
 */
class MatrixReadRowTest {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS = 3;
    /** Not a multiple of any vector length, so runs end in scalar tails. */
    private static final int COLS = 83;

    /** The expected value of element (r, c), computed from the stored bits. */
    private interface Reference {
        float at(int r, int c);
    }

    @Test
    void heapFp32() {
        float[] data = random(5 + ROWS * COLS, new Random(1));
        assertReadsAsReference(Matrix.of(data, 5, ROWS, COLS), COLS, (r, c) -> data[5 + r * COLS + c]);
    }

    @Test
    void segmentF32() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * ROWS * COLS);
            float[] v = random(ROWS * COLS, new Random(2));
            for (int i = 0; i < v.length; i++) seg.set(FLOAT_LE, 4L * i, v[i]);
            assertReadsAsReference(Matrix.of(seg, DType.F32, ROWS, COLS), COLS, (r, c) -> seg.get(FLOAT_LE, 4L * (r * COLS + c)));
        }
    }

    @Test
    void segmentBf16() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = randomShorts(arena, ROWS * COLS, new Random(3));
            assertReadsAsReference(Matrix.of(seg, DType.BF16, ROWS, COLS), COLS,
                    (r, c) -> Float.intBitsToFloat((seg.get(SHORT_LE, 2L * (r * COLS + c)) & 0xffff) << 16));
        }
    }

    @Test
    void segmentF16() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = randomShorts(arena, ROWS * COLS, new Random(4));
            assertReadsAsReference(Matrix.of(seg, DType.F16, ROWS, COLS), COLS,
                    (r, c) -> Float.float16ToFloat(seg.get(SHORT_LE, 2L * (r * COLS + c))));
        }
    }

    private static void assertReadsAsReference(Matrix m, int cols, Reference reference) {
        int off = 3;
        float[] dst = new float[off + cols + 2];
        for (int r = 0; r < m.rows(); r++) {
            for (int c0 = 0; c0 < cols; c0++) {
                for (int len = 0; c0 + len <= cols; len++) {
                    Arrays.fill(dst, Float.NaN);
                    m.readRow(r, c0, len, dst, off);
                    for (int i = 0; i < dst.length; i++) {
                        boolean inRun = i >= off && i < off + len;
                        float expected = inRun ? reference.at(r, c0 + i - off) : Float.NaN;
                        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(dst[i])) {
                            throw new AssertionError(m.getClass().getSimpleName() + " row " + r + " from " + c0 + " len " + len
                                    + ": dst[" + i + "] is " + dst[i] + ", expected " + expected);
                        }
                    }
                }
                assertEquals(Float.floatToRawIntBits(reference.at(r, c0)), Float.floatToRawIntBits(m.get(r, c0)), "get(" + r + ", " + c0 + ")");
            }
        }
    }

    private static float[] random(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        return v;
    }

    /** Random 16-bit patterns, NaNs and infinities included: widening must keep every bit pattern. */
    private static MemorySegment randomShorts(Arena arena, int n, Random rnd) {
        MemorySegment seg = arena.allocate(2L * n);
        for (int i = 0; i < n; i++) seg.set(SHORT_LE, 2L * i, (short) rnd.nextInt());
        return seg;
    }
}
