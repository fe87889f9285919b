package io.jtune.train.objective;

/**
 * A logged quantity as a sum and a count, so that micro-batches, accumulation windows and logging
 * intervals combine exactly: the value is sum / count over whatever was combined.
 */
public record Metric(double sum, double count) {
    public static Metric of(double sum, double count) {
        return new Metric(sum, count);
    }

    public Metric plus(Metric other) {
        return new Metric(sum + other.sum, count + other.count);
    }

    /** The mean, NaN when nothing was counted. */
    public double value() {
        return count == 0 ? Double.NaN : sum / count;
    }
}
