package io.jtune.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * What a benchmark's seconds mean. WALL is the real figure. CPU divides the process's CPU time by
 * the thread count: on a machine shared with other busy processes it estimates what wall time would
 * be on an idle one (time slices lost to others do not count), at the cost of counting JIT and GC
 * threads too. The OpenBLAS script uses the same definition, so the two columns stay comparable.
 */
public enum Clock {
    WALL, CPU;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** A reading in nanoseconds; differences of two readings divided by {@code threads} for CPU. */
    long nanos() {
        return this == WALL ? System.nanoTime() : processCpuNanos();
    }

    /**
     * CPU time of all live threads, each read with nanosecond resolution (the JVM's process CPU
     * time comes in 10 ms ticks on Linux, too coarse for a 5 ms product).
     */
    private static long processCpuNanos() {
        long sum = 0;
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t > 0) sum += t;
        }
        return sum;
    }

    double seconds(long start, long end, int threads) {
        double s = (end - start) / 1e9;
        return this == WALL ? s : s / threads;
    }

    public String optionName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
