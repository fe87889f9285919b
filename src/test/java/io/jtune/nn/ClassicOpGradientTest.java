package io.jtune.nn;

import static io.jtune.nn.GradCheck.check;
import static io.jtune.nn.GradCheck.project;
import static io.jtune.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of the ops the LayerNorm families (GPT-2, BLOOM, Falcon) brought, and
 * their forwards against the definitions.
 */
class ClassicOpGradientTest {
    private final Random rnd = new Random(7);

    @Test
    void layerNormWithBias() {
        int rows = 5, dim = 12;
        float[] x = random(rnd, rows * dim, 1.5f), w = random(rnd, dim, 1f), b = random(rnd, dim, 0.5f), r = random(rnd, rows * dim, 1f);
        for (int i = 0; i < x.length; i++) x[i] += 0.7f;   // a mean far from 0, which LayerNorm removes and RMSNorm would not
        float[] out = new float[rows * dim], rstd = new float[rows];
        float eps = 1e-5f;
        java.util.function.DoubleSupplier loss = () -> {
            LayerNorm.forward(x, w, 0, b, 0, out, rstd, rows, dim, eps);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        float[] dx = new float[x.length], dw = new float[dim], db = new float[dim];
        LayerNorm.backward(r, x, w, 0, rstd, dx, dw, 0, db, 0, rows, dim);
        check("layernorm dx", x, dx, loss);
        check("layernorm dw", w, dw, loss);
        check("layernorm db", b, db, loss);
        loss.getAsDouble();
        double mean = 0, var = 0;
        for (int i = 0; i < dim; i++) mean += x[dim + i];
        mean /= dim;
        for (int i = 0; i < dim; i++) var += (x[dim + i] - mean) * (x[dim + i] - mean);
        var /= dim;
        assertEquals((x[dim + 4] - mean) / Math.sqrt(var + eps) * w[4] + b[4], out[dim + 4], 1e-5);
    }

    @Test
    void layerNormWithoutBiasThroughNormalization() {
        int rows = 3, dim = 8;
        float[] x = random(rnd, rows * dim, 1f), w = random(rnd, dim, 1f), r = random(rnd, rows * dim, 1f);
        float[] out = new float[rows * dim], rstd = new float[rows];
        java.util.function.DoubleSupplier loss = () -> {
            Normalization.LAYER_NORM.forward(Kernels.CPU, x, w, 0, out, rstd, rows, dim, 1e-5f);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        float[] dx = new float[x.length], dw = new float[dim];
        Normalization.LAYER_NORM.backward(Kernels.CPU, r, x, w, 0, rstd, dx, dw, 0, rows, dim);
        check("layernorm (no bias) dx", x, dx, loss);
        check("layernorm (no bias) dw", w, dw, loss);
    }

    @Test
    void geluTanhUngated() {
        int n = 37;
        float[] x = random(rnd, n, 2.5f), r = random(rnd, n, 1f), out = new float[n];
        java.util.function.DoubleSupplier loss = () -> {
            GatedActivation.GELU_TANH.forwardPlain(x, out, n);
            return project(out, r, n);
        };
        loss.getAsDouble();
        float[] dx = new float[n];
        GatedActivation.GELU_TANH.backwardPlain(r, x, dx, n);
        check("gelu_new dx", x, dx, loss);
        loss.getAsDouble();
        double v = x[5];
        double expected = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        assertEquals(expected, out[5], 1e-6);
    }

    @Test
    void geluExactUngated() {
        int n = 41;
        float[] x = random(rnd, n, 3f), r = random(rnd, n, 1f), out = new float[n];
        java.util.function.DoubleSupplier loss = () -> {
            GatedActivation.GELU_EXACT.forwardPlain(x, out, n);
            return project(out, r, n);
        };
        loss.getAsDouble();
        float[] dx = new float[n];
        GatedActivation.GELU_EXACT.backwardPlain(r, x, dx, n);
        check("gelu (erf) dx", x, dx, loss);
    }

    @Test
    void erfMatchesKnownValues() {
        // erf values to 16 digits (Abramowitz & Stegun table 7.1 and standard references).
        assertEquals(0.0, Gelu.erf(0), 0);
        assertEquals(0.5204998778130465, Gelu.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Gelu.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, Gelu.erf(-2), 1e-15);
        assertEquals(0.9999589021219005, Gelu.erf(2.9), 1e-14);
        assertEquals(0.9999999845827421, Gelu.erf(4), 1e-15);
        assertEquals(1.0, Gelu.erf(7), 0);
    }
}
