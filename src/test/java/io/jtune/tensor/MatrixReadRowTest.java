package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every storage type's {@link Matrix#readRow} against a scalar reference written from the format
 * alone: runs of every length from every start column (vector bodies, scalar tails, and for Q8_0
 * starts and ends inside a block), at an offset into dst, touching nothing outside the run.
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

    /** Q8_0 as quantized (off the heap), and the same bytes viewed in a heap segment. */
    @Test
    void q8_0() {
        int cols = 4 * Q8_0.BLOCK;
        float[] data = random(ROWS * cols, new Random(5));
        data[7] = 0f; // a block may hold any mix; make one all-zero block (scale 0) too
        for (int j = 0; j < Q8_0.BLOCK; j++) data[cols + Q8_0.BLOCK + j] = 0f;
        Q8_0Matrix q = Q8_0Matrix.quantize(data, ROWS, cols);
        byte[] bytes = q.blocks().toArray(ValueLayout.JAVA_BYTE);
        assertEquals(ROWS * cols / Q8_0.BLOCK * Q8_0.BLOCK_BYTES, bytes.length);
        Reference reference = (r, c) -> {
            int block = (r * cols + c) / Q8_0.BLOCK * Q8_0.BLOCK_BYTES;
            float d = Float.float16ToFloat((short) ((bytes[block] & 0xff) | (bytes[block + 1] & 0xff) << 8));
            return d * bytes[block + 2 + c % Q8_0.BLOCK];
        };
        assertReadsAsReference(q, cols, reference);
        assertReadsAsReference(Q8_0Matrix.view(MemorySegment.ofArray(bytes), ROWS, cols), cols, reference);
    }

    /** Quantizing any storage type gives the bytes of quantizing its fp32 rows. */
    @Test
    void q8_0QuantizesFromAnyMatrix() {
        int cols = 2 * Q8_0.BLOCK;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = randomShorts(arena, ROWS * cols, new Random(6));
            Matrix bf16 = Matrix.of(seg, DType.BF16, ROWS, cols);
            float[] widened = new float[ROWS * cols];
            for (int r = 0; r < ROWS; r++) bf16.readRow(r, 0, cols, widened, r * cols);
            byte[] expected = new byte[ROWS * 2 * Q8_0.BLOCK_BYTES];
            Q8_0.quantizeRow(widened, 0, ROWS * cols, expected, 0);
            byte[] actual = Q8_0Matrix.quantize(bf16).blocks().toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(expected, actual);
        }
    }

    @Test
    void q8_0RefusesPartialBlocksAndWrongSizes() {
        assertThrows(IllegalArgumentException.class, () -> Q8_0Matrix.quantize(new float[2 * 40], 2, 40));
        assertThrows(IllegalArgumentException.class,
                () -> Q8_0Matrix.view(MemorySegment.ofArray(new byte[Q8_0.BLOCK_BYTES]), 2, Q8_0.BLOCK));
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
