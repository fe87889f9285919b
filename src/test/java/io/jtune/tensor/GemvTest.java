package io.jtune.tensor;

import static io.jtune.tensor.ThinProductFixtures.random;
import static io.jtune.tensor.ThinProductFixtures.segment;
import static io.jtune.tensor.ThinProductFixtures.widenedRows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The decode GEMV against the general thin path (DotGemm, which widens whole rows first) on every
 * weight format, on shapes that leave partial row groups (of four, and of eight where one token
 * row takes eight weight rows at a time), vector tails and partial work units:
 * the results are bit-identical, whatever the thread count, and close to a float64 reference.
 */
class GemvTest {
    private static final int[] THREADS = {1, 2, 3};

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void denseFormatsEqualTheThinPathOnAwkwardShapes() {
        for (int n : new int[] {17, 19, 33, 70}) {
            for (int k : new int[] {1, 7, 15, 16, 17, 33, 64, 130}) {
                float[] w = random(n * k, n * 31L + k);
                check(Matrix.of(w, n, k), "heap f32 " + n + "x" + k);
                check(segment(w, DType.F32, n, k), "f32 " + n + "x" + k);
                check(segment(w, DType.BF16, n, k), "bf16 " + n + "x" + k);
                check(segment(w, DType.F16, n, k), "f16 " + n + "x" + k);
                check(Int8RowMatrix.quantize(Matrix.of(w, n, k)), "int8 " + n + "x" + k);
            }
        }
    }

    @Test
    void blockQuantizedFormatsEqualTheThinPath() {
        for (int n : new int[] {17, 19, 33, 70}) {
            for (int k : new int[] {32, 64, 96, 160}) {
                float[] w = random(n * k, n * 17L + k);
                check(Q8_0Matrix.quantize(w, n, k), "q8_0 " + n + "x" + k);
                check(GgmlBlockMatrix.quantizeQ4_0(Matrix.of(w, n, k)), "q4_0 " + n + "x" + k);
            }
            // 4-bit blocks of 64 run over row ends where k is not a multiple of 64: the fallback path
            for (int k : new int[] {64, 128, 192, 96, 40, 7}) {
                float[] w = random(n * k, n * 13L + k);
                check(Bnb4BitMatrix.quantize(Matrix.of(w, n, k), Bnb4BitType.NF4, true), "nf4 " + n + "x" + k);
                check(Bnb4BitMatrix.quantize(Matrix.of(w, n, k), Bnb4BitType.FP4, false), "fp4 " + n + "x" + k);
            }
        }
    }

    @Test
    void decodeShapesRouteThroughTheGemvAndSplitOverRows() {
        // large enough that the work is split into several parts
        int n = 1000, k = 256;
        float[] w = random(n * k, 5);
        check(segment(w, DType.BF16, n, k), "bf16 " + n + "x" + k);
        check(Q8_0Matrix.quantize(w, n, k), "q8_0 " + n + "x" + k);
        check(GgmlBlockMatrix.quantizeQ4_0(Matrix.of(w, n, k)), "q4_0 " + n + "x" + k);
        check(Bnb4BitMatrix.quantize(Matrix.of(w, n, k), Bnb4BitType.NF4, true), "nf4 " + n + "x" + k);
    }

    /** For m = 1 and 2, with and without accumulation: Gemm (the GEMV) == DotGemm, bit for bit, at 1, 2, 3 threads. */
    private static void check(Matrix w, String what) {
        int n = w.rows(), k = w.cols();
        float[] dense = new float[n * k];
        for (int r = 0; r < n; r++) w.readRow(r, 0, k, dense, r * k);
        for (int m = 1; m <= Gemv.MAX_X_ROWS; m++) {
            float[] x = random(m * k, 1000 + m);
            float[] start = random(m * n, 2000 + m);
            float[] expected = new float[m * n];
            DotGemm.run(x, 0, widenedRows(w), m, n, k, expected, 0, false);
            float[] expectedAcc = start.clone();
            DotGemm.run(x, 0, widenedRows(w), m, n, k, expectedAcc, 0, true);
            for (int threads : THREADS) {
                Parallel.setThreads(threads);
                float[] y = new float[m * n];
                Gemm.matmulTransB(x, 0, w, y, 0, m, false);
                assertArrayEquals(expected, y, what + " m=" + m + " threads=" + threads);
                float[] acc = start.clone();
                Gemm.matmulTransB(x, 0, w, acc, 0, m, true);
                assertArrayEquals(expectedAcc, acc, what + " accumulating, m=" + m + " threads=" + threads);
            }
            // and the sums are the products' sums (a float64 reference on the widened weights)
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) x[i * k + p] * dense[j * k + p];
                        mag += Math.abs((double) x[i * k + p] * dense[j * k + p]);
                    }
                    assertEquals(s, expected[i * n + j], 1e-5 * mag + 1e-30, what + " (" + i + ", " + j + ")");
                }
            }
        }
    }

    @Test
    void theGemvWidensEachRowOnceWhereTheFormatHasAFusedLoop() {
        // every format the decode path meets at its common shapes has a fused loop (else it silently widens)
        float[] x = random(4 * 128, 9), lanes = new float[4 * MatrixLanes.L];
        List<Matrix> fused = new ArrayList<>(List.of(Matrix.of(random(8 * 128, 1), 8, 128),
                segment(random(8 * 128, 2), DType.F32, 8, 128), segment(random(8 * 128, 3), DType.BF16, 8, 128),
                Q8_0Matrix.quantize(random(8 * 128, 4), 8, 128),
                GgmlBlockMatrix.quantizeQ4_0(Matrix.of(random(8 * 128, 7), 8, 128)),
                Bnb4BitMatrix.quantize(Matrix.of(random(8 * 128, 5), 8, 128), Bnb4BitType.NF4, true),
                Int8RowMatrix.quantize(Matrix.of(random(8 * 128, 6), 8, 128))));
        for (Matrix m : fused) assertTrue(m.dotRows4(x, 0, 4, lanes), m.getClass().getSimpleName());
        // and bf16, the published checkpoints' dtype, reads eight rows at once for a single token row
        assertTrue(segment(random(8 * 128, 3), DType.BF16, 8, 128).dotRows8(x, 0, 0, new float[8 * MatrixLanes.L]));
    }

    @Test
    void f16WidensEveryBitPatternAsTheJdkDoes() {
        int n = 1 << 16;
        MemorySegment seg = Arena.ofAuto().allocate(2L * n, 64);
        for (int i = 0; i < n; i++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, (short) i);
        Matrix m = Matrix.of(seg, DType.F16, 1, n);
        float[] row = new float[n];
        m.readRow(0, 0, n, row, 0);
        for (int i = 0; i < n; i++) {
            float expected = Float.float16ToFloat((short) i);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(row[i]), "f16 bits 0x" + Integer.toHexString(i));
        }
    }
}
