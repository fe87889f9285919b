package io.jtune.infer.metrics;

/**
 * Float sums with the exact rounding the Python side uses, so averaged metrics match
 * LLaMA-Factory's figures to the last bit: Python's math.fsum (Shewchuk's exact partials, then one
 * correctly rounded result) and numpy's pairwise summation (what np.mean does for float64).
 */
final class ExactSum {
    private static final int PAIRWISE_BLOCK = 128; // numpy's PW_BLOCKSIZE

    private ExactSum() {}

    /** math.fsum: the correctly rounded sum of the exact values. */
    static double fsum(double[] values) {
        double[] partials = new double[values.length + 1];
        int count = 0;
        for (double v : values) {
            double x = v;
            int i = 0;
            for (int j = 0; j < count; j++) {
                double y = partials[j];
                if (Math.abs(x) < Math.abs(y)) {
                    double t = x;
                    x = y;
                    y = t;
                }
                double hi = x + y;
                double lo = y - (hi - x);
                if (lo != 0.0) partials[i++] = lo;
                x = hi;
            }
            partials[i] = x;
            count = i + 1;
        }
        if (count == 0) return 0.0;
        // add the partials from the top; stop at the first inexact step and fix half-way cases
        int n = count;
        double hi = partials[--n];
        double lo = 0.0;
        while (n > 0) {
            double x = hi;
            double y = partials[--n];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) break;
        }
        if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
            double y = lo * 2;
            double x = hi + y;
            double yr = x - hi;
            if (y == yr) hi = x;
        }
        return hi;
    }

    /** numpy's pairwise sum of values[from .. from+n) (float64 add.reduce, starting from 0). */
    static double pairwise(double[] values, int from, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += values[from + i];
            return res;
        }
        if (n <= PAIRWISE_BLOCK) {
            double[] r = new double[8];
            System.arraycopy(values, from, r, 0, 8);
            int i = 8;
            for (; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) r[j] += values[from + i + j];
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += values[from + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwise(values, from, n2) + pairwise(values, from + n2, n - n2);
    }

    /** np.mean of a float64 list. NaN when empty, as numpy returns. */
    static double mean(double[] values) {
        if (values.length == 0) return Double.NaN;
        return pairwise(values, 0, values.length) / values.length;
    }
}
