package io.jtune.nn;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A parallel for-loop over task indices, run on one pool whose size can be set.
 *
 * <p>Determinism rule every caller follows: task {@code i} writes only outputs that no other task
 * writes, and sums inside a task run in a fixed order. The split is a function of the problem
 * size only, never of the thread count, so results are bit-identical with 1 or N threads.
 */
public final class Parallel {
    private static volatile ForkJoinPool pool = newPool(Runtime.getRuntime().availableProcessors());

    private Parallel() {}

    private static ForkJoinPool newPool(int threads) {
        return new ForkJoinPool(Math.max(1, threads));
    }

    /** Sets the number of worker threads (the old pool is shut down). */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        if (threads == pool.getParallelism()) return;
        ForkJoinPool old = pool;
        pool = newPool(threads);
        old.shutdown();
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /** Runs {@code body.accept(i)} for every i in [0, tasks), in parallel when worthwhile. */
    public static void forEach(int tasks, IntConsumer body) {
        ForkJoinPool p = pool;
        if (tasks <= 1 || p.getParallelism() == 1) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        p.submit(() -> IntStream.range(0, tasks).parallel().forEach(body)).join();
    }

    /** Number of equal chunks to split {@code n} items into, each at least {@code minChunk} long. */
    public static int chunks(int n, int minChunk) {
        return Math.max(1, Math.min(64, n / Math.max(1, minChunk)));
    }
}
