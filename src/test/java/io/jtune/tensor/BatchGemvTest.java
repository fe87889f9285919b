package io.jtune.tensor;

import static io.jtune.tensor.ThinProductFixtures.random;
import static io.jtune.tensor.ThinProductFixtures.segment;
import static io.jtune.tensor.ThinProductFixtures.widenedRows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batched-decode product (3 to 16 token rows against a stored weight) against the general thin
 * path (DotGemm, which widens whole rows first) on every weight format, on shapes that leave partial
 * row groups, partial register tiles, vector tails, several column chunks and partial work units:
 * bit-identical whatever the thread count, so a sequence decoded in a batch gets the bits it gets
 * alone, and close to a float64 reference.
 */
class BatchGemvTest {
    private static final int[] THREADS = {1, 2, 3};

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void denseFormatsEqualTheThinPathOnAwkwardShapes() {
        for (int n : new int[] {19, 70}) {
            for (int k : new int[] {1, 16, 33, 1100}) {
                float[] w = random(n * k, n * 31L + k);
                check(Matrix.of(w, n, k), "heap f32 " + n + "x" + k, false);
                check(segment(w, DType.F32, n, k), "f32 " + n + "x" + k, true);
                check(segment(w, DType.BF16, n, k), "bf16 " + n + "x" + k, true);
                check(segment(w, DType.F16, n, k), "f16 " + n + "x" + k, true);
                check(Int8RowMatrix.quantize(Matrix.of(w, n, k)), "int8 " + n + "x" + k, true);
            }
        }
    }

    @Test
    void quantizedFormatsEqualTheThinPath() {
        for (int n : new int[] {17, 33}) {
            for (int k : new int[] {160, 576}) {
                float[] w = random(n * k, n * 17L + k);
                check(Q8_0Matrix.quantize(w, n, k), "q8_0 " + n + "x" + k, true);
                check(Bnb4BitMatrix.quantize(Matrix.of(w, n, k), Bnb4BitType.NF4, true), "nf4 " + n + "x" + k, true);
            }
        }
    }

    @Test
    void decodeShapesSplitOverRowsAndEqualTheThinPath() {
        int n = 1000, k = 256;   // large enough that the work is split into several parts
        check(segment(random(n * k, 5), DType.BF16, n, k), "bf16 " + n + "x" + k, true);
    }

    /** Token-row counts: the smallest, partial register tiles, whole tiles, the largest. */
    private static final int[] ROWS = {BatchGemv.MIN_X_ROWS, 4, 5, 7, 8, 13, BatchGemv.MAX_X_ROWS};

    /**
     * For m = 3 .. 16, with and without accumulation: the batched kernel (directly, and through Gemm
     * where it routes there) == DotGemm, bit for bit, at 1, 2 and 3 threads.
     */
    private static void check(Matrix w, String what, boolean routedByGemm) {
        int n = w.rows(), k = w.cols();
        float[] dense = new float[n * k];
        for (int r = 0; r < n; r++) w.readRow(r, 0, k, dense, r * k);
        for (int m : ROWS) {
            float[] x = random(m * k, 1000 + m);
            float[] start = random(m * n, 2000 + m);
            float[] expected = new float[m * n];
            DotGemm.run(x, 0, widenedRows(w), m, n, k, expected, 0, false);
            float[] expectedAcc = start.clone();
            DotGemm.run(x, 0, widenedRows(w), m, n, k, expectedAcc, 0, true);
            for (int threads : THREADS) {
                Parallel.setThreads(threads);
                float[] y = new float[m * n];
                BatchGemv.run(x, 0, w, m, y, 0, false);
                assertArrayEquals(expected, y, what + " m=" + m + " threads=" + threads);
                float[] acc = start.clone();
                BatchGemv.run(x, 0, w, m, acc, 0, true);
                assertArrayEquals(expectedAcc, acc, what + " accumulating, m=" + m + " threads=" + threads);
                if (routedByGemm) {
                    float[] viaGemm = new float[m * n];
                    Gemm.matmulTransB(x, 0, w, viaGemm, 0, m, false);
                    assertArrayEquals(expected, viaGemm, what + " through Gemm, m=" + m + " threads=" + threads);
                }
            }
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
}
