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

    @Test
    void alibiSlopesAsTransformersBuildsThem() {
        // 8 heads: 2^-1 ... 2^-8; 6 heads: 2^-2, 2^-4, 2^-6, 2^-8, then 2^-1, 2^-3 (odd powers of 2^-1)
        float[] eight = Alibi.slopes(8), six = Alibi.slopes(6);
        for (int h = 0; h < 8; h++) assertEquals(Math.pow(2, -(h + 1)), eight[h], 1e-7);
        double[] expected = {0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125};
        for (int h = 0; h < 6; h++) assertEquals(expected[h], six[h], 1e-7);
    }

    @Test
    void attentionWithAlibiOnPackedRows() {
        int batch = 1, t = 9, heads = 3, kvHeads = 3, d = 4;
        int[] seg = {1, 1, 1, 1, 2, 2, 2, 2, 2};
        Attention.Shape shape = new Attention.Shape(batch, t, heads, kvHeads, d, seg, 0, 0.5f, 0f, Alibi.slopes(heads));
        float[] q = random(rnd, t * heads * d, 1f), k = random(rnd, t * kvHeads * d, 1f), v = random(rnd, t * kvHeads * d, 1f);
        float[] r = random(rnd, t * heads * d, 1f), out = new float[t * heads * d], lse = new float[t * heads];
        java.util.function.DoubleSupplier loss = () -> {
            Attention.forward(q, k, v, out, lse, shape);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Attention.backward(q, k, v, out, lse, r, dq, dk, dv, shape);
        check("alibi attention dq", q, dq, loss);
        check("alibi attention dk", k, dk, loss);
        check("alibi attention dv", v, dv, loss);
        // Row 6 (third token of the second sequence), head 2, against the definition; and the cache agrees.
        loss.getAsDouble();
        int i = 6, h = 2;
        float slope = Alibi.slopes(heads)[h];
        double[] w = new double[3];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 4; j <= i; j++) {
            double s = 0;
            for (int x = 0; x < d; x++) s += q[i * heads * d + h * d + x] * k[j * kvHeads * d + h * d + x];
            w[j - 4] = s * 0.5 + slope * (j - i);
            max = Math.max(max, w[j - 4]);
        }
        for (int j = 0; j < 3; j++) sum += w[j] = Math.exp(w[j] - max);
        double expected = 0;
        for (int j = 4; j <= i; j++) expected += w[j - 4] / sum * v[j * kvHeads * d + h * d + 1];
        assertEquals(expected, out[i * heads * d + h * d + 1], 1e-5);
        float[] cached = new float[3 * heads * d];
        float[] kSecond = java.util.Arrays.copyOfRange(k, 4 * kvHeads * d, 9 * kvHeads * d);
        float[] vSecond = java.util.Arrays.copyOfRange(v, 4 * kvHeads * d, 9 * kvHeads * d);
        CachedAttention.forward(java.util.Arrays.copyOfRange(q, 4 * heads * d, 7 * heads * d), kSecond, vSecond, cached, 3, 0,
                heads, kvHeads, d, 0, 0.5f, 0f, Alibi.slopes(heads));
        assertEquals(out[i * heads * d + h * d + 1], cached[2 * heads * d + h * d + 1], 1e-5);
    }
}
