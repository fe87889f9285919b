package io.jtune.tensor;

import static io.jtune.tensor.ThinProductFixtures.random;
import static io.jtune.tensor.ThinProductFixtures.segment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * bf16 weights in decoding panels: they hold the checkpoint's values, and every product over them,
 * the decode kernels for 1 to 16 token rows and the blocked GEMM for more, gives each output the
 * chain fma(x[p], w[p], y) over p = 0, 1, ... from zero, bit for bit, whatever the thread count and
 * however many rows share the call. Shapes leave partial panels, padded panel groups, an odd k
 * (the kernels' last-column step) and partial row groups of eight and four.
 */
class Bf16PanelsTest {
    private static final int[] THREADS = {1, 2, 3};

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void panelsHoldTheCheckpointValues() {
        for (int[] shape : new int[][] {{17, 1}, {33, 7}, {70, 64}, {130, 301}}) {
            int n = shape[0], k = shape[1];
            Matrix bf16 = segment(random(n * k, n * 7L + k), DType.BF16, n, k);
            Bf16Panels panels = Bf16Panels.of(bf16);
            float[] expected = new float[k], actual = new float[k];
            for (int r = 0; r < n; r++) {
                bf16.readRow(r, 0, k, expected, 0);
                panels.readRow(r, 0, k, actual, 0);
                assertArrayEquals(expected, actual, "row " + r + " of " + n + "x" + k);
            }
            float[] part = new float[3];
            panels.readRow(n - 1, k - Math.min(3, k), Math.min(3, k), part, 0);
            assertEquals(bf16.get(n - 1, k - 1), part[Math.min(3, k) - 1]);
        }
    }

    @Test
    void onlyBf16SegmentsWithManyRowsAreArranged() {
        float[] w = random(40 * 8, 3);
        assertEquals(true, Bf16Panels.canArrange(segment(w, DType.BF16, 40, 8)));
        assertEquals(false, Bf16Panels.canArrange(segment(w, DType.F16, 40, 8)));
        assertEquals(false, Bf16Panels.canArrange(Matrix.of(w, 40, 8)));
        assertEquals(false, Bf16Panels.canArrange(segment(random(16 * 8, 3), DType.BF16, 16, 8)));
        assertThrows(IllegalArgumentException.class, () -> Bf16Panels.of(Matrix.of(w, 40, 8)));
    }

    @Test
    void everyRowCountGivesTheSequentialChainBitForBit() {
        for (int n : new int[] {17, 70, 200}) {
            for (int k : new int[] {1, 2, 33, 160, 1101}) {
                Matrix bf16 = segment(random(n * k, n * 31L + k), DType.BF16, n, k);
                Bf16Panels panels = Bf16Panels.of(bf16);
                for (int m : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 40}) {
                    float[] x = random(m * k, m * 101L + k);
                    float[] expected = sequentialChains(x, bf16, m);
                    for (int threads : THREADS) {
                        Parallel.setThreads(threads);
                        float[] c = new float[m * n];
                        Gemm.matmulTransB(x, 0, panels, c, 0, m, false);
                        assertArrayEquals(expected, c, "m=" + m + " " + n + "x" + k + " threads=" + threads);
                    }
                }
            }
        }
    }

    @Test
    void aRowGetsTheSameBitsAloneAsInABatch() {
        int n = 300, k = 897;
        Bf16Panels panels = Bf16Panels.of(segment(random(n * k, 9), DType.BF16, n, k));
        float[] x = random(24 * k, 10);
        float[] batch = new float[24 * n];
        Gemm.matmulTransB(x, 0, panels, batch, 0, 24, false);   // the blocked GEMM
        for (int m : new int[] {1, 5, 8, 16}) {
            float[] c = new float[m * n];
            Gemm.matmulTransB(x, 0, panels, c, 0, m, false);
            float[] prefix = java.util.Arrays.copyOf(batch, m * n);
            assertArrayEquals(prefix, c, "the first " + m + " rows of a 24-row product");
        }
    }

    @Test
    void accumulatingContinuesTheChainFromC() {
        int n = 65, k = 31;
        Matrix bf16 = segment(random(n * k, 4), DType.BF16, n, k);
        for (int m : new int[] {1, 4, 9, 20}) {
            float[] x = random(m * k, 5), start = random(m * n, 6);
            float[] expected = sequentialChains(x, bf16, m, start);
            float[] c = start.clone();
            Gemm.matmulTransB(x, 0, Bf16Panels.of(bf16), c, 0, m, true);
            assertArrayEquals(expected, c, "m=" + m);
        }
    }

    /** y[i][j] = fma(x[i][p], w[j][p], y) for p = 0 .. k-1 from zero: the order every panel product keeps. */
    private static float[] sequentialChains(float[] x, Matrix w, int m) {
        return sequentialChains(x, w, m, new float[m * w.rows()]);
    }

    /** The same chains continued from start[i][j] (an accumulating product). */
    private static float[] sequentialChains(float[] x, Matrix w, int m, float[] start) {
        int n = w.rows(), k = w.cols();
        float[] row = new float[k], y = new float[m * n];
        for (int j = 0; j < n; j++) {
            w.readRow(j, 0, k, row, 0);
            for (int i = 0; i < m; i++) {
                float s = start[i * n + j];
                for (int p = 0; p < k; p++) s = Math.fma(x[i * k + p], row[p], s);
                y[i * n + j] = s;
            }
        }
        return y;
    }
}
