package io.jtune.bench;

import java.util.Arrays;

/**
 * Times a piece of work the way a benchmark should: first warm it up (so C2 has compiled the
 * kernels and caches hold what they will hold), then time several runs and keep the median,
 * which one slow run (a GC, another process) cannot move.
 */
public final class Measure {
    private Measure() {}

    /**
     * Median seconds of {@code runs} timed runs, after at least {@code minWarmups} untimed runs
     * lasting at least {@code warmupSeconds} in all.
     */
    public static double medianSeconds(Runnable work, int minWarmups, double warmupSeconds, int runs, Clock clock, int threads) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < minWarmups || System.nanoTime() < warmEnd; i++) work.run();
        double[] times = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = clock.nanos();
            work.run();
            times[i] = clock.seconds(t0, clock.nanos(), threads);
        }
        return median(times);
    }

    public static double median(double[] values) {
        if (values.length == 0) throw new IllegalArgumentException("no values");
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
