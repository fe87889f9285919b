package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A GEMM that reads a bitsandbytes-format matrix (4-bit NF4/FP4 with plain or double-quantized
 * absmax, 8-bit per row) gives the same bits as the same GEMM on its dequantized fp32 copy, on the
 * dot-product path (one token: decoding) and the blocked one (training), forward and input
 * gradient, with depths past one KC step and blocks that run over row ends.
 */
class BnbGemmTest {
    private static final int[] ROWS = {1, 7, 40};
    private static final int[][] SHAPES = {{9, 96}, {40, 200}, {70, 1120}};
    private static final List<Function<Matrix, Matrix>> FORMATS = List.of(
            m -> Bnb4BitMatrix.quantize(m, Bnb4BitType.NF4, true),
            m -> Bnb4BitMatrix.quantize(m, Bnb4BitType.NF4, false),
            m -> Bnb4BitMatrix.quantize(m, Bnb4BitType.FP4, true),
            Int8RowMatrix::quantize);

    @Test
    void productsEqualProductsOnTheDequantizedCopy() {
        Random rnd = new Random(21);
        for (int[] shape : SHAPES) {
            int n = shape[0], k = shape[1];
            for (Function<Matrix, Matrix> format : FORMATS) {
                Matrix q = format.apply(Matrix.of(random(n * k, rnd), n, k));
                float[] values = new float[n * k];
                for (int r = 0; r < n; r++) q.readRow(r, 0, k, values, r * k);
                Matrix copy = Matrix.of(values, n, k);
                for (int m : ROWS) {
                    String what = q.getClass().getSimpleName() + " m=" + m + " n=" + n + " k=" + k;
                    float[] a = random(m * k, rnd), expected = new float[m * n], actual = new float[m * n];
                    Gemm.matmulTransB(a, 0, copy, expected, 0, m, false);
                    Gemm.matmulTransB(a, 0, q, actual, 0, m, false);
                    assertArrayEquals(expected, actual, "forward " + what);
                    float[] dy = random(m * n, rnd), dxExpected = new float[m * k], dxActual = new float[m * k];
                    Gemm.matmul(dy, 0, copy, dxExpected, 0, m, false);
                    Gemm.matmul(dy, 0, q, dxActual, 0, m, false);
                    assertArrayEquals(dxExpected, dxActual, "input gradient " + what);
                }
            }
        }
    }

    private static float[] random(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
