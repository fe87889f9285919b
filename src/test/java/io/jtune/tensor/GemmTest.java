package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The tuned products against {@link GemmReference} on shapes that hit every edge of the tiling. */
class GemmTest {
    /** Sizes around the tile edges (MR = 8, NR = 32, the thin threshold 16, KC blocks). */
    private static final int[] SIZES = {1, 7, 8, 17, 33, 129};
    private static final int OFF = 3;

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void forwardMatchesReference(DType dtype) {
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofShared()) {
            for (int m : SIZES) for (int n : SIZES) for (int k : new int[] {1, 17, 129}) {
                Matrix w = matrix(arena, dtype, n, k, rnd);
                float[] a = random(OFF + m * k, rnd);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] expected = random(OFF + m * n, new Random(m * 31 + n));
                    float[] actual = expected.clone();
                    GemmReference.matmulTransB(a, OFF, w, expected, OFF, m, acc);
                    Gemm.matmulTransB(a, OFF, w, actual, OFF, m, acc);
                    assertClose(expected, actual, k, "matmulTransB m=" + m + " n=" + n + " k=" + k + " acc=" + acc + " " + dtype);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void inputGradientMatchesReference(DType dtype) {
        Random rnd = new Random(2);
        try (Arena arena = Arena.ofShared()) {
            for (int m : SIZES) for (int n : new int[] {1, 17, 129}) for (int k : SIZES) {
                Matrix w = matrix(arena, dtype, n, k, rnd);
                float[] a = random(OFF + m * n, rnd);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] expected = random(OFF + m * k, new Random(m * 31 + k));
                    float[] actual = expected.clone();
                    GemmReference.matmul(a, OFF, w, expected, OFF, m, acc);
                    Gemm.matmul(a, OFF, w, actual, OFF, m, acc);
                    assertClose(expected, actual, n, "matmul m=" + m + " n=" + n + " k=" + k + " acc=" + acc + " " + dtype);
                }
            }
        }
    }

    @Test
    void weightGradientMatchesReference() {
        Random rnd = new Random(3);
        for (int m : new int[] {1, 17, 129}) for (int n : SIZES) for (int k : SIZES) {
            float[] a = random(OFF + m * n, rnd);
            float[] x = random(5 + m * k, rnd);
            for (boolean acc : new boolean[] {false, true}) {
                float[] expected = random(OFF + n * k, new Random(n * 31 + k));
                float[] actual = expected.clone();
                GemmReference.matmulTransA(a, OFF, x, 5, expected, OFF, m, n, k, acc);
                Gemm.matmulTransA(a, OFF, x, 5, actual, OFF, m, n, k, acc);
                assertClose(expected, actual, m, "matmulTransA m=" + m + " n=" + n + " k=" + k + " acc=" + acc);
            }
        }
    }

    /** Depths beyond one KC block: the tile is stored and reloaded between blocks. */
    @Test
    void deepProductsMatchReference() {
        Random rnd = new Random(4);
        int m = 40, n = 70, k = 1100;
        Matrix w = Matrix.of(random(n * k, rnd), n, k);
        float[] a = random(m * k, rnd);
        float[] expected = new float[m * n], actual = new float[m * n];
        GemmReference.matmulTransB(a, 0, w, expected, 0, m, false);
        Gemm.matmulTransB(a, 0, w, actual, 0, m, false);
        assertClose(expected, actual, k, "deep matmulTransB");

        float[] dy = random(m * n, rnd);
        float[] e2 = new float[m * k], a2 = new float[m * k];
        GemmReference.matmul(dy, 0, w, e2, 0, m, false);
        Gemm.matmul(dy, 0, w, a2, 0, m, false);
        assertClose(e2, a2, n, "deep matmul");

        float[] e3 = new float[k * n], a3 = new float[k * n];
        GemmReference.matmulTransA(a, 0, dy, 0, e3, 0, m, k, n, false);
        Gemm.matmulTransA(a, 0, dy, 0, a3, 0, m, k, n, false);
        assertClose(e3, a3, m, "wide matmulTransA");
    }

    /** LoRA-like thin shapes go through the dot-product path; check them at realistic sizes. */
    @Test
    void loraShapesMatchReference() {
        Random rnd = new Random(5);
        int t = 64, d = 96, r = 8;
        float[] x = random(t * d, rnd);
        Matrix loraA = Matrix.of(random(r * d, rnd), r, d);
        float[] h = new float[t * r], hRef = new float[t * r];
        Gemm.matmulTransB(x, 0, loraA, h, 0, t, false);
        GemmReference.matmulTransB(x, 0, loraA, hRef, 0, t, false);
        assertClose(hRef, h, d, "x·Aᵀ");

        float[] dy = random(t * d, rnd);
        Matrix loraB = Matrix.of(random(d * r, rnd), d, r);
        float[] dh = new float[t * r], dhRef = new float[t * r];
        Gemm.matmul(dy, 0, loraB, dh, 0, t, false);
        GemmReference.matmul(dy, 0, loraB, dhRef, 0, t, false);
        assertClose(dhRef, dh, d, "dY·B");

        float[] dB = new float[d * r], dBRef = new float[d * r];
        Gemm.matmulTransA(dy, 0, h, 0, dB, 0, t, d, r, false);
        GemmReference.matmulTransA(dy, 0, hRef, 0, dBRef, 0, t, d, r, false);
        assertClose(dBRef, dB, t, "dYᵀ·h");
    }

    @Test
    void resultsAreBitIdenticalForAnyThreadCount() {
        Random rnd = new Random(6);
        int m = 100, n = 300, k = 650;
        try (Arena arena = Arena.ofShared()) {
            Matrix w = matrix(arena, DType.BF16, n, k, rnd);
            Matrix thin = Matrix.of(random(8 * k, rnd), 8, k);
            float[] a = random(m * k, rnd);
            float[] dy = random(m * n, rnd);
            float[][] first = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                float[] y = new float[m * n], dx = new float[m * k], dw = new float[n * k], h = new float[m * 8];
                Gemm.matmulTransB(a, 0, w, y, 0, m, false);
                Gemm.matmul(dy, 0, w, dx, 0, m, false);
                Gemm.matmulTransA(dy, 0, a, 0, dw, 0, m, n, k, false);
                Gemm.matmulTransB(a, 0, thin, h, 0, m, false);
                float[][] now = {y, dx, dw, h};
                if (first == null) {
                    first = now;
                } else {
                    for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "product " + i + " with " + threads + " threads");
                }
            }
        }
    }

    @Test
    void emptyDepthClearsOrKeeps() {
        float[] c = {5, 6};
        Gemm.matmulTransB(new float[0], 0, Matrix.of(new float[0], 2, 0), c, 0, 1, true);
        assertArrayEquals(new float[] {5, 6}, c);
        Gemm.matmulTransB(new float[0], 0, Matrix.of(new float[0], 2, 0), c, 0, 1, false);
        assertArrayEquals(new float[] {0, 0}, c);
    }

    @Test
    void tooShortArrayIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmulTransB(new float[10], 0, Matrix.of(new float[12], 3, 4), new float[9], 0, 3, false));
        assertTrue(e.getMessage().contains("matmulTransB: A needs 12 floats"), e.getMessage());
    }

    @Test
    void bf16WideningIsExact() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            Matrix w = matrix(arena, DType.BF16, 3, 45, rnd);
            float[] row = new float[45];
            for (int r = 0; r < 3; r++) {
                w.readRow(r, 0, 45, row, 0);
                for (int c = 0; c < 45; c++) assertEquals(w.get(r, c), row[c]);
            }
        }
    }

    // ---- helpers ----

    /** fp32 sums in a different order differ by a few ulps of the sum of |terms|; allow k-proportional slack. */
    private static void assertClose(float[] expected, float[] actual, int depth, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-6 * depth * 4 + 1e-5 * Math.abs(expected[i]);
            if (Math.abs(expected[i] - actual[i]) > tol) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    private static float[] random(int size, Random rnd) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    /** A [rows x cols] matrix in {@code dtype}: on the heap for F32, in a native segment otherwise. */
    private static Matrix matrix(Arena arena, DType dtype, int rows, int cols, Random rnd) {
        float[] v = random(rows * cols, rnd);
        if (dtype == DType.F32) {
            float[] padded = new float[v.length + 2];
            System.arraycopy(v, 0, padded, 2, v.length);
            return Matrix.of(padded, 2, rows, cols);
        }
        MemorySegment seg = arena.allocate((long) v.length * 2);
        var layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            short bits = dtype == DType.BF16 ? Numbers.floatToBf16(v[i]) : Numbers.floatToF16(v[i]);
            seg.set(layout, 2L * i, bits);
        }
        return Matrix.of(seg, dtype, rows, cols);
    }
}
