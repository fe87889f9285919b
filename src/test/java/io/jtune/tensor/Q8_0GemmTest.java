package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A GEMM that reads a Q8_0 matrix gives the same bits as the same GEMM on its dequantized fp32
 * copy: the packing widens the blocks to the values the copy holds, and the summation order does
 * not depend on B's storage. Shapes cover the dot-product path (m or n thin), the blocked one, and
 * depths past one KC step and one DC block.
 */
class Q8_0GemmTest {
    private static final int[] ROWS = {1, 7, 17, 129};
    private static final int[] WEIGHT_ROWS = {1, 9, 17, 70};
    private static final int[] WEIGHT_COLS = {32, 96, 1120};

    @Test
    void forwardEqualsForwardOnTheDequantizedCopy() {
        Random rnd = new Random(11);
        for (int n : WEIGHT_ROWS) for (int k : WEIGHT_COLS) {
            Q8_0Matrix q = Q8_0Matrix.quantize(random(n * k, rnd), n, k);
            Matrix copy = dequantized(q);
            for (int m : ROWS) {
                float[] a = random(2 + m * k, rnd);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] expected = random(1 + m * n, new Random(m * 31L + n));
                    float[] actual = expected.clone();
                    Gemm.matmulTransB(a, 2, copy, expected, 1, m, acc);
                    Gemm.matmulTransB(a, 2, q, actual, 1, m, acc);
                    assertArrayEquals(expected, actual, "matmulTransB m=" + m + " n=" + n + " k=" + k + " acc=" + acc);
                }
            }
        }
    }

    @Test
    void inputGradientEqualsInputGradientOnTheDequantizedCopy() {
        Random rnd = new Random(12);
        for (int n : WEIGHT_ROWS) for (int k : WEIGHT_COLS) {
            Q8_0Matrix q = Q8_0Matrix.quantize(random(n * k, rnd), n, k);
            Matrix copy = dequantized(q);
            for (int m : ROWS) {
                float[] dy = random(2 + m * n, rnd);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] expected = random(1 + m * k, new Random(m * 31L + k));
                    float[] actual = expected.clone();
                    Gemm.matmul(dy, 2, copy, expected, 1, m, acc);
                    Gemm.matmul(dy, 2, q, actual, 1, m, acc);
                    assertArrayEquals(expected, actual, "matmul m=" + m + " n=" + n + " k=" + k + " acc=" + acc);
                }
            }
        }
    }

    /** The fp32 copy, dequantized block by block with the format's scalar code, not through readRow. */
    private static Matrix dequantized(Q8_0Matrix q) {
        byte[] bytes = q.blocks().toArray(ValueLayout.JAVA_BYTE);
        float[] values = new float[q.rows() * q.cols()];
        Q8_0.dequantizeRow(bytes, 0, values.length, values, 0);
        return Matrix.of(values, q.rows(), q.cols());
    }

    private static float[] random(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }
}
