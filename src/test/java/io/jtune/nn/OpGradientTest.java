package io.jtune.nn;

import static io.jtune.nn.GradCheck.check;
import static io.jtune.nn.GradCheck.project;
import static io.jtune.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.tensor.Matrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of every op's hand-derived backward, plus forward checks against naive code. */
class OpGradientTest {
    private final Random rnd = new Random(42);

    @Test
    void rmsNorm() {
        int rows = 6, dim = 12;
        float[] x = random(rnd, rows * dim, 1f), w = random(rnd, dim, 1f), r = random(rnd, rows * dim, 1f);
        float[] out = new float[rows * dim], rstd = new float[rows];
        float eps = 1e-6f;
        java.util.function.DoubleSupplier loss = () -> {
            RmsNorm.forward(x, w, 0, out, rstd, rows, dim, eps);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        float[] dx = new float[x.length], dw = new float[dim];
        RmsNorm.backward(r, x, w, 0, rstd, dx, dw, 0, rows, dim);
        check("rmsnorm dx", x, dx, loss);
        check("rmsnorm dw", w, dw, loss);
        // Forward against the definition.
        loss.getAsDouble();
        double ms = 0;
        for (int i = 0; i < dim; i++) ms += x[i] * x[i];
        float expected = (float) (w[3] * x[3] / Math.sqrt(ms / dim + eps));
        assertEquals(expected, out[3], 1e-5f);
    }

    @Test
    void rope() {
        int n = 5, heads = 3, d = 8;
        float[] inv = Rope.inverseFrequencies(RopeConfig.plain(10000), d);
        int[] pos = {0, 1, 2, 0, 7};
        float[] cos = new float[n * d / 2], sin = new float[n * d / 2];
        Rope.table(inv, pos, n, cos, sin);
        float[] x0 = random(rnd, n * heads * d, 1f), x = x0.clone(), r = random(rnd, x.length, 1f);
        java.util.function.DoubleSupplier loss = () -> {
            float[] y = x.clone();
            Rope.forward(y, cos, sin, n, heads, d);
            return project(y, r, y.length);
        };
        float[] dx = r.clone();
        Rope.backward(dx, cos, sin, n, heads, d);
        check("rope dx", x, dx, loss);
        // Position 0 is the identity; position 7 rotates pair (0, d/2) by angle 7·1.
        float[] y = x0.clone();
        Rope.forward(y, cos, sin, n, heads, d);
        assertEquals(x0[0], y[0], 0f);
        int o = 4 * heads * d;
        assertEquals(x0[o] * Math.cos(7) - x0[o + d / 2] * Math.sin(7), y[o], 1e-5);
    }

    /**
     * GLM's interleaved partial rotary: pairs (2i, 2i + 1) of the first rotaryDim entries of each head
     * turn by frequency i, the rest pass through; backward is the transposed map.
     */
    @Test
    void interleavedPartialRope() {
        int n = 4, heads = 2, d = 8, rotary = 4;
        float[] inv = Rope.inverseFrequencies(RopeConfig.plain(10000), rotary, false);
        int[] pos = {0, 3, 5, 9};
        float[] cos = new float[n * rotary / 2], sin = new float[n * rotary / 2];
        Rope.table(inv, pos, n, cos, sin);
        float[] x0 = random(rnd, n * heads * d, 1f), x = x0.clone(), r = random(rnd, x.length, 1f);
        java.util.function.DoubleSupplier loss = () -> {
            float[] y = x.clone();
            Rope.forwardInterleaved(y, cos, sin, n, heads, d, rotary);
            return project(y, r, y.length);
        };
        float[] dx = r.clone();
        Rope.backwardInterleaved(dx, cos, sin, n, heads, d, rotary);
        check("interleaved rope dx", x, dx, loss);
        float[] y = x0.clone();
        Rope.forwardInterleaved(y, cos, sin, n, heads, d, rotary);
        int o = 3 * heads * d + d;   // token 3 (position 9), head 1
        double angle = 9 * inv[1];   // the second pair, entries 2 and 3
        assertEquals(x0[o + 2] * Math.cos(angle) - x0[o + 3] * Math.sin(angle), y[o + 2], 1e-5);
        assertEquals(x0[o + 3] * Math.cos(angle) + x0[o + 2] * Math.sin(angle), y[o + 3], 1e-5);
        for (int i = rotary; i < d; i++) assertEquals(x0[o + i], y[o + i], 0f, "entry " + i + " passes through");
    }

    /**
     * Phi-3's partial rotary under a LongRoPE table: the first rotaryDim entries of each head rotate
     * (pairs (i, i + rotaryDim/2)) with cos and sin scaled by the attention factor, the rest pass
     * through; backward is the transposed map.
     */
    @Test
    void partialRopeWithScaledLongRopeTable() {
        int n = 4, heads = 2, d = 8, rotary = 4;
        var longRope = RopeConfig.longRope(10000, new double[] {1.0, 1.5}, new double[] {2.0, 6.0}, 4, 1.2);
        float[] shortInv = Rope.inverseFrequencies(longRope, rotary, false), longInv = Rope.inverseFrequencies(longRope, rotary, true);
        assertEquals(1f, shortInv[0], 0f);
        assertEquals(1 / (1.5 * Math.pow(10000, 2.0 / 4)), shortInv[1], 1e-9);
        assertEquals(1 / (6.0 * Math.pow(10000, 2.0 / 4)), longInv[1], 1e-9);
        int[] pos = {0, 3, 5, 9};
        float[] cos = new float[n * rotary / 2], sin = new float[n * rotary / 2];
        Rope.table(longInv, pos, n, cos, sin);
        Rope.scaleTable(cos, sin, cos.length, 1.2f);
        float[] x0 = random(rnd, n * heads * d, 1f), x = x0.clone(), r = random(rnd, x.length, 1f);
        java.util.function.DoubleSupplier loss = () -> {
            float[] y = x.clone();
            Rope.forward(y, cos, sin, n, heads, d, rotary);
            return project(y, r, y.length);
        };
        float[] dx = r.clone();
        Rope.backward(dx, cos, sin, n, heads, d, rotary);
        check("partial rope dx", x, dx, loss);
        float[] y = x0.clone();
        Rope.forward(y, cos, sin, n, heads, d, rotary);
        int o = 3 * heads * d + d;   // token 3 (position 9), head 1
        double angle = 9 * longInv[0];
        assertEquals(1.2 * (x0[o] * Math.cos(angle) - x0[o + 2] * Math.sin(angle)), y[o], 1e-5);
        for (int i = rotary; i < d; i++) assertEquals(x0[o + i], y[o + i], 0f, "entry " + i + " passes through");
    }

    @Test
    void ropeScalingFollowsHfFormulas() {
        var plain = RopeConfig.plain(500000);
        var linear = new RopeConfig(500000, "linear", 4, 1, 4, 8192);
        var llama3 = new RopeConfig(500000, "llama3", 32, 1, 4, 8192);
        float[] p = Rope.inverseFrequencies(plain, 64), l = Rope.inverseFrequencies(linear, 64),
                l3 = Rope.inverseFrequencies(llama3, 64);
        assertEquals(1f, p[0], 0f);
        assertEquals(Math.pow(500000, -2.0 / 64), p[1], 1e-7);
        for (int i = 0; i < 32; i++) assertEquals(p[i] / 4, l[i], 0f);
        // High frequencies (short wavelengths) untouched, lowest divided by the factor.
        assertEquals(p[0], l3[0], 0f);
        assertEquals(p[31] / 32, l3[31], 0f);
        for (int i = 0; i < 32; i++) {
            double wavelen = 2 * Math.PI / p[i];
            if (wavelen >= 8192 / 4.0 && wavelen <= 8192) {
                double smooth = (8192 / wavelen - 1) / 3;
                assertEquals((1 - smooth) * p[i] / 32 + smooth * p[i], l3[i], 1e-6 * p[i]);
            }
        }
        assertThrows(JtuneException.class, () -> Rope.inverseFrequencies(
                new RopeConfig(10000, "yarn", 4, 1, 4, 8192), 64));
    }

    private void attentionCase(String name, int batch, int t, int heads, int kvHeads, int d, int[] seg, int window) {
        attentionCase(name, new Attention.Shape(batch, t, heads, kvHeads, d, seg, window));
    }

    private void attentionCase(String name, Attention.Shape shape) {
        int batch = shape.batch(), t = shape.seqLen(), heads = shape.heads(), kvHeads = shape.kvHeads(), d = shape.headDim();
        int n = batch * t;
        float[] q = random(rnd, n * heads * d, 1f), k = random(rnd, n * kvHeads * d, 1f),
                v = random(rnd, n * kvHeads * d, 1f), r = random(rnd, n * heads * d, 1f);
        float[] out = new float[q.length], lse = new float[batch * heads * t];
        java.util.function.DoubleSupplier loss = () -> {
            Attention.forward(q, k, v, out, lse, shape);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        assertArrayEquals(naiveAttention(q, k, v, shape), out, 1e-5f, name + " forward");
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Attention.backward(q, k, v, out, lse, r, dq, dk, dv, shape);
        check(name + " dq", q, dq, loss);
        check(name + " dk", k, dk, loss);
        check(name + " dv", v, dv, loss);
    }

    /** Softmax attention with the full score matrix, straight from the definition. */
    private static float[] naiveAttention(float[] q, float[] k, float[] v, Attention.Shape s) {
        int d = s.headDim();
        float[] out = new float[q.length];
        for (int b = 0; b < s.batch(); b++) {
            for (int h = 0; h < s.heads(); h++) {
                int kvh = h / (s.heads() / s.kvHeads());
                for (int i = 0; i < s.seqLen(); i++) {
                    double[] w = new double[s.seqLen()];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        boolean visible = (s.slidingWindow() <= 0 || i - j < s.slidingWindow())
                                && (s.segmentIds() == null
                                || s.segmentIds()[b * s.seqLen() + i] == s.segmentIds()[b * s.seqLen() + j]);
                        if (!visible) { w[j] = Double.NEGATIVE_INFINITY; continue; }
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += q[(b * s.seqLen() + i) * s.heads() * d + h * d + x]
                                    * k[(b * s.seqLen() + j) * s.kvHeads() * d + kvh * d + x];
                        }
                        w[j] = dot * s.scale();
                        if (s.softcap() > 0) w[j] = s.softcap() * Math.tanh(w[j] / s.softcap());
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) { w[j] = Math.exp(w[j] - max); sum += w[j]; }
                    for (int x = 0; x < d; x++) {
                        double acc = 0;
                        for (int j = 0; j <= i; j++) acc += w[j] / sum * v[(b * s.seqLen() + j) * s.kvHeads() * d + kvh * d + x];
                        out[(b * s.seqLen() + i) * s.heads() * d + h * d + x] = (float) acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void attentionGqa() {
        attentionCase("gqa", 2, 7, 4, 2, 8, null, 0);
    }

    @Test
    void attentionMqaLongerThanOneKeyTile() {
        attentionCase("mqa", 1, 70, 2, 1, 4, null, 0);
    }

    @Test
    void attentionWithGemma2ScaleSoftCapAndWindow() {
        // query_pre_attn_scalar 3 (scale 3^-½, not 8^-½) and a cap of 1.5 that bends most scores;
        // 70 tokens cover the below-diagonal fast path and the masked blocks alike.
        float scale = (float) (1 / Math.sqrt(3));
        attentionCase("softcap", new Attention.Shape(1, 70, 2, 1, 8, null, 0, scale, 1.5f));
        attentionCase("softcap window", new Attention.Shape(2, 9, 4, 2, 4, null, 4, scale, 1.5f));
        int[] seg = {1, 1, 1, 2, 2, 2, 2, 0, 0, 3, 3, 3, 3, 3, 3, 3};
        attentionCase("softcap segments", new Attention.Shape(2, 8, 2, 2, 4, seg, 0, scale, 1.5f));
    }

    @Test
    void softCap() {
        int n = 37;
        float[] x = random(rnd, n, 6f), r = random(rnd, n, 1f), y = new float[n];
        float cap = 4f;
        java.util.function.DoubleSupplier loss = () -> {
            System.arraycopy(x, 0, y, 0, n);
            SoftCap.forward(y, 0, n, cap);
            return project(y, r, n);
        };
        loss.getAsDouble();
        for (int i = 0; i < n; i++) {
            assertEquals(cap * Math.tanh(x[i] / cap), y[i], 1e-5, "element " + i);
            assertEquals(SoftCap.apply(x[i], cap), y[i], 0f, "vector and scalar paths agree bit for bit");
        }
        float[] dx = r.clone();
        SoftCap.backward(y, 0, dx, 0, n, cap);
        check("softcap dx", x, dx, loss);
        assertEquals(0f, SoftCap.derivative(Float.NEGATIVE_INFINITY, cap), 0f, "a masked score has no gradient");
    }

    @Test
    void lmHeadWithFinalLogitSoftCap() {
        int n = 5, hidden = 6, vocab = 11;
        int[] targets = {3, -100, 0, 10, 5};
        float[] h = random(rnd, n * hidden, 1.5f), w = random(rnd, vocab * hidden, 1.5f);
        Matrix wm = Matrix.of(w, vocab, hidden);
        float cap = 2.5f;
        LmHead ce = new LmHead(vocab, hidden, 2, cap);
        java.util.function.DoubleSupplier loss = () -> ce.forwardBackward(h, targets, n, wm, 0f, null, null, 0);
        double expected = 0;
        for (int t = 0; t < n; t++) if (targets[t] >= 0) expected += referenceNll(h, w, t, targets[t], vocab, hidden, cap, 1f);
        assertEquals(expected, loss.getAsDouble(), 1e-5 * expected);
        float[] dh = new float[h.length], dw = new float[w.length];
        ce.forwardBackward(h, targets, n, wm, 1f, dh, dw, 0);
        check("capped ce dh", h, dh, loss);
        check("capped ce dw", w, dw, loss);
    }

    @Test
    void attentionPackedSegmentsAndSlidingWindow() {
        int[] seg = {1, 1, 1, 2, 2, 2, 2, 0, 0, 3, 3, 3, 3, 3, 3, 3};
        attentionCase("segments", 2, 8, 2, 2, 4, seg, 0);
        attentionCase("window", 1, 9, 2, 1, 4, null, 3);
    }

    @Test
    void swiglu() {
        int n = 40;
        float[] g = random(rnd, n, 2f), u = random(rnd, n, 1f), r = random(rnd, n, 1f), out = new float[n];
        java.util.function.DoubleSupplier loss = () -> {
            SwiGlu.forward(g, u, out, n);
            return project(out, r, n);
        };
        loss.getAsDouble();
        assertEquals(g[5] / (1 + Math.exp(-g[5])) * u[5], out[5], 1e-6);
        float[] dg = new float[n], du = new float[n];
        SwiGlu.backward(r, g, u, dg, du, n);
        check("swiglu dgate", g, dg, loss);
        check("swiglu dup", u, du, loss);
    }

    @Test
    void gemmaRmsNormAppliesOnePlusWeight() {
        int rows = 5, dim = 16;
        float[] x = random(rnd, rows * dim, 1f), w = random(rnd, dim, 0.3f), r = random(rnd, rows * dim, 1f);
        float[] out = new float[rows * dim], rstd = new float[rows];
        float eps = 1e-6f;
        java.util.function.DoubleSupplier loss = () -> {
            RmsNorm.forward(x, w, 0, 1f, out, rstd, rows, dim, eps);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        float[] dx = new float[x.length], dw = new float[dim];
        RmsNorm.backward(r, x, w, 0, 1f, rstd, dx, dw, 0, rows, dim);
        check("gemma rmsnorm dx", x, dx, loss);
        check("gemma rmsnorm dw", w, dw, loss);
        // Forward against the definition: (1 + w)·x/rms.
        loss.getAsDouble();
        double ms = 0;
        for (int i = dim; i < 2 * dim; i++) ms += x[i] * x[i];
        assertEquals((1 + w[3]) * x[dim + 3] / Math.sqrt(ms / dim + eps), out[dim + 3], 1e-5);
        // A zero weight is the identity scale, as GemmaRMSNorm initialises it.
        float[] zero = new float[dim], plain = new float[rows * dim], ones = new float[dim];
        java.util.Arrays.fill(ones, 1f);
        RmsNorm.forward(x, zero, 0, 1f, out, rstd, rows, dim, eps);
        RmsNorm.forward(x, ones, 0, plain, rstd, rows, dim, eps);
        assertArrayEquals(plain, out, 0f);
    }

    @Test
    void gegluWithTanhGelu() {
        // Both the vector loop and the scalar tail: n is not a multiple of any vector length.
        int n = 45;
        float[] g = random(rnd, n, 2f), u = random(rnd, n, 1f), r = random(rnd, n, 1f), out = new float[n];
        g[0] = 12f;     // saturated: tanh = 1, gelu = g
        g[1] = -12f;    // saturated: gelu = 0
        java.util.function.DoubleSupplier loss = () -> {
            GeGlu.forward(g, u, out, n);
            return project(out, r, n);
        };
        loss.getAsDouble();
        for (int i : new int[] {0, 1, 5, n - 1}) {
            double x = g[i];
            double gelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            assertEquals(gelu * u[i], out[i], 1e-5 * Math.max(1, Math.abs(gelu * u[i])));
        }
        float[] dg = new float[n], du = new float[n];
        GeGlu.backward(r, g, u, dg, du, n);
        check("geglu dgate", g, dg, loss);
        check("geglu dup", u, du, loss);
        // The vector loop and the scalar path give the same bits for the same input.
        loss.getAsDouble();
        float[] single = new float[1];
        for (int i = 0; i < n; i++) {
            GeGlu.forward(new float[] {g[i]}, new float[] {u[i]}, single, 1);
            assertEquals(out[i], single[0], 0f, "element " + i);
        }
    }

    @Test
    void linearWithBias() {
        int n = 5, in = 7, out = 6;
        float[] x = random(rnd, n * in, 1f), w = random(rnd, out * in, 1f), b = random(rnd, out, 1f),
                r = random(rnd, n * out, 1f), y = new float[n * out];
        Matrix wm = Matrix.of(w, out, in);
        java.util.function.DoubleSupplier loss = () -> {
            Linear.forward(x, wm, b, 0, y, n);
            return project(y, r, y.length);
        };
        loss.getAsDouble();
        float[] dx = new float[x.length], dw = new float[w.length], db = new float[out];
        Linear.backward(r, x, wm, dx, dw, 0, db, 0, n);
        check("linear dx", x, dx, loss);
        check("linear dw", w, dw, loss);
        check("linear db", b, db, loss);
    }

    @Test
    void loraWithAndWithoutDropout() {
        int n = 5, in = 8, out = 6, rank = 3;
        float scale = 2.5f;
        float[] x = random(rnd, n * in, 1f), a = random(rnd, rank * in, 1f), b = random(rnd, out * rank, 1f),
                r = random(rnd, n * out, 1f), u = new float[n * rank], y = new float[n * out];
        float[] xd = new float[x.length];
        Matrix am = Matrix.of(a, rank, in), bm = Matrix.of(b, out, rank);
        for (float p : new float[] {0f, 0.3f}) {
            long seed = 99;
            java.util.function.DoubleSupplier loss = () -> {
                java.util.Arrays.fill(y, 0f);
                float[] input = x;
                if (p > 0) { Dropout.forward(x, xd, x.length, p, seed); input = xd; }
                Lora.forward(input, am, bm, scale, u, y, n);
                return project(y, r, y.length);
            };
            loss.getAsDouble();
            float[] da = new float[a.length], db = new float[b.length], du = new float[n * rank];
            float[] dx = new float[x.length], dxd = new float[x.length];
            Lora.backward(r, p > 0 ? xd : x, am, bm, scale, u, p > 0 ? dxd : dx, da, 0, db, 0, du, n);
            if (p > 0) Dropout.backward(dxd, dx, x.length, p, seed);
            check("lora dx p=" + p, x, dx, loss);
            check("lora dA p=" + p, a, da, loss);
            check("lora dB p=" + p, b, db, loss);
        }
    }

    /**
     * DoRA's backward is the derivative of its forward with the row norms held constant (PEFT
     * detaches them): with the norms computed once and fixed, the finite differences of the layer's
     * output (base linear + DoRA) give dx, dA, dB and the magnitude's gradient, with and without dropout.
     */
    @Test
    void doraWithConstantNormsWithAndWithoutDropout() {
        int n = 4, in = 7, out = 6, rank = 2;
        float scale = 2f;
        float[] x = random(rnd, n * in, 1f), w = random(rnd, out * in, 0.5f), bias = random(rnd, out, 1f),
                a = random(rnd, rank * in, 0.5f), b = random(rnd, out * rank, 0.5f), m = random(rnd, out, 1f),
                r = random(rnd, n * out, 1f);
        Matrix w0 = Matrix.of(w, out, in), am = Matrix.of(a, rank, in), bm = Matrix.of(b, out, rank);
        float[] norms = new float[out];
        Dora.rowNorms(w0, am, bm, scale, norms);
        float[] kept = new float[n * (rank + out)], y = new float[n * out], xd = new float[x.length];
        for (float p : new float[] {0f, 0.3f}) {
            long seed = 7;
            java.util.function.Supplier<float[]> gains = () -> {
                float[] g = new float[out];
                for (int o = 0; o < out; o++) g[o] = m[o] / norms[o];
                return g;
            };
            java.util.function.DoubleSupplier loss = () -> {
                Linear.forward(x, w0, bias, 0, y, n);
                float[] input = x;
                if (p > 0) { Dropout.forward(x, xd, x.length, p, seed); input = xd; }
                Dora.forward(input, p > 0, w0, bias, 0, am, bm, scale, gains.get(), kept, kept, n * rank, y, n);
                return project(y, r, y.length);
            };
            loss.getAsDouble();
            float[] da = new float[a.length], db = new float[b.length], dm = new float[out], dx = new float[x.length],
                    dxd = new float[x.length], scratch = new float[n * out];
            Linear.backward(r, x, w0, dx, null, 0, null, 0, n);
            Dora.backward(r, p > 0 ? xd : x, p > 0 ? dxd : dx, w0, am, bm, scale, gains.get(), norms, kept, kept, n * rank,
                    da, 0, db, 0, dm, 0, scratch, n);
            if (p > 0) Dropout.backward(dxd, dx, x.length, p, seed);
            check("dora dx p=" + p, x, dx, loss);
            check("dora dA p=" + p, a, da, loss);
            check("dora dB p=" + p, b, db, loss);
            check("dora dm p=" + p, m, dm, loss);
        }
    }

    @Test
    void dropoutKeepsAboutOneMinusP() {
        int n = 20000;
        float[] x = new float[n], out = new float[n];
        java.util.Arrays.fill(x, 1f);
        Dropout.forward(x, out, n, 0.25f, 7);
        int kept = 0;
        for (float f : out) if (f != 0) { kept++; assertEquals(1f / 0.75f, f, 1e-6f); }
        assertEquals(0.75, kept / (double) n, 0.02);
    }

    @Test
    void embeddingScattersIntoRepeatedRows() {
        int vocab = 6, dim = 5, n = 7;
        int[] ids = {1, 3, 1, 5, 0, 1, 3};
        float[] table = random(rnd, vocab * dim, 1f), r = random(rnd, n * dim, 1f), out = new float[n * dim];
        Matrix tm = Matrix.of(table, vocab, dim);
        java.util.function.DoubleSupplier loss = () -> {
            Embedding.forward(tm, ids, out, n);
            return project(out, r, out.length);
        };
        loss.getAsDouble();
        assertEquals(table[3 * dim + 2], out[dim + 2], 0f);
        float[] dt = new float[table.length];
        Embedding.backward(ids, r, dt, 0, n, dim);
        check("embedding dtable", table, dt, loss);
        assertThrows(JtuneException.class, () -> Embedding.forward(tm, new int[] {6}, out, 1));
    }

    /**
     * float64 −log softmax(z / temperature)[target] for token t, z = h_t·Wᵀ soft-capped by cap first
     * (0: no cap): the definition the LM head's losses are checked against.
     */
    private static double referenceNll(float[] h, float[] w, int t, int target, int vocab, int hidden, float cap, float temperature) {
        double[] z = new double[vocab];
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            for (int i = 0; i < hidden; i++) z[v] += h[t * hidden + i] * w[v * hidden + i];
            if (cap > 0) z[v] = cap * Math.tanh(z[v] / cap);
            z[v] /= temperature;
            sum += Math.exp(z[v]);
        }
        return Math.log(sum) - z[target];
    }

    /**
     * Log-probabilities of the logits divided by a temperature (what the online RL objectives train on, as
     * TRL's GRPO and PPO trainers do): the weighted loss Σ w·(−log softmax(z / T)_target) against its
     * definition, the gradient (w·(p_T − onehot)/T at z) by central differences, with and without a soft-cap
     * (capped first, then divided, as the model's logits are); T must be positive.
     */
    @Test
    void lmHeadWithTemperature() {
        int n = 5, hidden = 6, vocab = 11;
        int[] targets = {3, -100, 0, 10, 5};
        float[] weights = {0.7f, 0f, -1.3f, 0.4f, 2f};
        float[] h = random(rnd, n * hidden, 1.5f), w = random(rnd, vocab * hidden, 1.5f);
        Matrix wm = Matrix.of(w, vocab, hidden);
        for (float cap : new float[] {0f, 2.5f}) {
            float temperature = 0.7f;
            LmHead head = new LmHead(vocab, hidden, 2, cap);
            double[] logProbs = new double[n];
            java.util.function.DoubleSupplier loss = () -> {
                head.run(h, targets, n, wm, temperature, logProbs, null, null, null, 0);
                double sum = 0;
                for (int t = 0; t < n; t++) if (targets[t] >= 0) sum -= weights[t] * logProbs[t];
                return sum;
            };
            double expected = 0;
            for (int t = 0; t < n; t++) {
                if (targets[t] >= 0) expected += weights[t] * referenceNll(h, w, t, targets[t], vocab, hidden, cap, temperature);
            }
            assertEquals(expected, loss.getAsDouble(), 1e-5 * Math.abs(expected), "cap " + cap);
            float[] dh = new float[h.length], dw = new float[w.length];
            head.run(h, targets, n, wm, temperature, null, weights, dh, dw, 0);
            check("tempered lm head dh, cap " + cap, h, dh, loss);
            check("tempered lm head dw, cap " + cap, w, dw, loss);

            double[] untempered = new double[n];
            head.run(h, targets, n, wm, 1f, untempered, null, null, null, 0);
            loss.getAsDouble();
            assertTrue(Math.abs(logProbs[0] - untempered[0]) > 1e-2, "the temperature changes the log-probabilities: "
                    + untempered[0] + " -> " + logProbs[0]);
        }
        assertThrows(IllegalArgumentException.class,
                () -> new LmHead(vocab, hidden, 2).run(h, targets, n, wm, 0f, null, null, null, null, 0));
    }

    @Test
    void lmHeadCrossEntropyInChunks() {
        int n = 9, hidden = 6, vocab = 11;
        int[] targets = {3, -100, 0, 10, -100, 5, 5, 1, 2};
        float[] h = random(rnd, n * hidden, 1f), w = random(rnd, vocab * hidden, 1f);
        Matrix wm = Matrix.of(w, vocab, hidden);
        LmHead ce = new LmHead(vocab, hidden, 2);
        float gradScale = 0.5f;
        java.util.function.DoubleSupplier loss = () -> gradScale * ce.forwardBackward(h, targets, n, wm, 0f, null, null, 0);
        // Loss against the definition.
        double expected = 0;
        for (int t = 0; t < n; t++) {
            if (targets[t] < 0) continue;
            double[] z = new double[vocab];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < vocab; v++) {
                for (int i = 0; i < hidden; i++) z[v] += h[t * hidden + i] * w[v * hidden + i];
                max = Math.max(max, z[v]);
            }
            for (int v = 0; v < vocab; v++) sum += Math.exp(z[v] - max);
            expected += max + Math.log(sum) - z[targets[t]];
        }
        assertEquals(expected, loss.getAsDouble() / gradScale, 1e-5 * expected);
        float[] dh = new float[h.length], dw = new float[w.length];
        double l = ce.forwardBackward(h, targets, n, wm, gradScale, dh, dw, 0);
        assertEquals(expected, l, 1e-5 * expected);
        for (int i = hidden; i < 2 * hidden; i++) assertEquals(0f, dh[i], 0f, "ignored row has no gradient");
        check("ce dh", h, dh, loss);
        check("ce dw", w, dw, loss);
        assertThrows(JtuneException.class,
                () -> ce.forwardBackward(h, new int[] {11, 0, 0, 0, 0, 0, 0, 0, 0}, n, wm, 1f, null, null, 0));
    }
}
