package io.jtune.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.tensor.Matrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * DoRA's forward against PEFT's formula written out in double, with and without lora_dropout:
 * result = x·W₀ᵀ + b + (g − 1)·(x'·W₀ᵀ) + g·s·(x'·Aᵀ)·Bᵀ, g = m / ‖W₀ + s·B·A‖ (rows), x' the adapter's input.
 */
class DoraTest {
    private static float[] random(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    @Test
    void forwardIsPeftsFormulaWithAndWithoutDropout() {
        int n = 3, in = 7, out = 5, r = 2;
        float scale = 1.5f;
        Random rnd = new Random(4);
        float[] w = random(rnd, out * in, 0.5), a = random(rnd, r * in, 0.5), b = random(rnd, out * r, 0.5);
        float[] bias = random(rnd, out, 1), m = random(rnd, out, 1), x = random(rnd, n * in, 1);
        float[] dropped = new float[n * in];
        Dropout.forward(x, dropped, n * in, 0.4f, 99);
        Matrix w0 = Matrix.of(w, out, in), am = Matrix.of(a, r, in), bm = Matrix.of(b, out, r);
        float[] norms = new float[out];
        Dora.rowNorms(w0, am, bm, scale, norms);
        double[] g = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = 0;
            for (int c = 0; c < in; c++) {
                double v = w[o * in + c];
                for (int i = 0; i < r; i++) v += scale * (double) b[o * r + i] * a[i * in + c];
                sum += v * v;
            }
            assertEquals(Math.sqrt(sum), norms[o], 1e-5 * Math.sqrt(sum));
            g[o] = m[o] / Math.sqrt(sum);
        }
        float[] gains = new float[out];
        for (int o = 0; o < out; o++) gains[o] = (float) g[o];
        for (boolean withDropout : new boolean[] {false, true}) {
            float[] adapterInput = withDropout ? dropped : x;
            float[] y = new float[n * out];
            Linear.forward(x, w0, bias, 0, y, n);
            float[] kept = new float[n * (r + out)];
            Dora.forward(adapterInput, withDropout, w0, bias, 0, am, bm, scale, gains, kept, kept, n * r, y, n);
            for (int t = 0; t < n; t++) {
                for (int o = 0; o < out; o++) {
                    double base = bias[o], baseDropped = 0, lora = 0;
                    for (int c = 0; c < in; c++) {
                        base += (double) x[t * in + c] * w[o * in + c];
                        baseDropped += (double) adapterInput[t * in + c] * w[o * in + c];
                        double ax = 0;
                        for (int i = 0; i < r; i++) ax += (double) b[o * r + i] * a[i * in + c];
                        lora += adapterInput[t * in + c] * ax;
                    }
                    double want = base + (g[o] - 1) * baseDropped + g[o] * scale * lora;
                    assertEquals(want, y[t * out + o], 1e-5 * (1 + Math.abs(want)), "dropout " + withDropout + " [" + t + "," + o + "]");
                }
            }
        }
    }
}
