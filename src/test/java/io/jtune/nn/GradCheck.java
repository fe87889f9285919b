package io.jtune.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Finite-difference checks by directional derivatives: for random directions d,
 * (L(x + εd) − L(x − εd)) / 2ε must match Σ grad·d. One direction exercises every element at once,
 * so a few directions check a whole tensor cheaply. L is evaluated with sums in double.
 */
final class GradCheck {
    private GradCheck() {}

    static float[] random(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    /** Σ out·r in double: the scalar loss whose gradient with respect to out is r. */
    static double project(float[] out, float[] r, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) out[i] * r[i];
        return s;
    }

    static void check(String name, float[] x, float[] grad, DoubleSupplier loss) {
        check(name, x, 0, x.length, grad, 0, loss, 1e-2f, 5e-3);
    }

    static void check(String name, float[] x, int off, int len, float[] grad, int gradOff,
                      DoubleSupplier loss, float eps, double rtol) {
        Random rnd = new Random(name.hashCode());
        float[] saved = new float[len];
        System.arraycopy(x, off, saved, 0, len);
        double gradNorm = 0;
        for (int i = 0; i < len; i++) gradNorm += (double) grad[gradOff + i] * grad[gradOff + i];
        assertTrue(gradNorm > 0, name + ": gradient is identically zero");
        for (int trial = 0; trial < 3; trial++) {
            float[] d = random(rnd, len, 1f);
            double analytic = 0, dNorm = 0;
            for (int i = 0; i < len; i++) {
                analytic += (double) grad[gradOff + i] * d[i];
                dNorm += (double) d[i] * d[i];
            }
            for (int i = 0; i < len; i++) x[off + i] = saved[i] + eps * d[i];
            double plus = loss.getAsDouble();
            for (int i = 0; i < len; i++) x[off + i] = saved[i] - eps * d[i];
            double minus = loss.getAsDouble();
            System.arraycopy(saved, 0, x, off, len);
            double numeric = (plus - minus) / (2 * eps);
            // Scale-aware tolerance: relative to |grad|·|d|, the largest the product could be.
            double bound = Math.sqrt(gradNorm * dNorm);
            assertEquals(analytic, numeric, rtol * bound,
                    name + " trial " + trial + ": analytic " + analytic + " vs numeric " + numeric);
        }
    }
}
