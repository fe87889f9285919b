package io.jtune.train.objective;

/** Means, variances and whitening over a set of values, as TRL's masked_mean / masked_var / masked_whiten compute them. */
public final class Moments {
    private Moments() {}

    public static double mean(double[] values) {
        double s = 0;
        for (double v : values) s += v;
        return s / values.length;
    }

    /** The variance with Bessel's correction (n − 1), as masked_var(unbiased=True); NaN for fewer than two values. */
    public static double unbiasedVariance(double[] values) {
        int n = values.length;
        if (n < 2) return Double.NaN;
        double m = mean(values), ss = 0;
        for (double v : values) ss += (v - m) * (v - m);
        return ss / (n - 1);
    }

    /**
     * (x − mean) / sqrt(var + 1e-8) with the unbiased variance; with {@code shiftMean} false the mean is
     * added back (only the scale changes). A single value has no variance and is left as it is.
     */
    public static double[] whiten(double[] values, boolean shiftMean) {
        if (values.length < 2) return values.clone();
        double m = mean(values), scale = 1 / Math.sqrt(unbiasedVariance(values) + 1e-8);
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) out[i] = (values[i] - m) * scale + (shiftMean ? 0 : m);
        return out;
    }
}
