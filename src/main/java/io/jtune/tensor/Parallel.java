package io.jtune.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * The engine's thread pool: a small fixed set of platform threads (compute kernels gain nothing
 * from virtual threads and must not be descheduled mid-tile), sized by {@link #setThreads}.
 *
 * <p>Callers split their work into {@code parts} independent pieces; the calling thread runs
 * piece 0 itself, the pool the others. A call made from inside a piece runs sequentially, so
 * nested kernels can never deadlock the pool.
 */
public final class Parallel {
    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static ExecutorService pool;
    private static int poolSize;
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private Parallel() {}

    /** How many threads kernels use (default: the number of available processors). */
    public static int threads() {
        return threads;
    }

    /** Sets the thread count kernels use from now on; tests and the benchmark switch it. */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        threads = n;
    }

    /** The number of parts worth splitting into now: 1 inside a running part, else {@link #threads()}. */
    public static int usableThreads() {
        return INSIDE.get() ? 1 : threads;
    }

    /** Runs {@code body.accept(i)} for i in [0, parts), at most {@link #threads()} at a time, and waits. */
    public static void run(int parts, IntConsumer body) {
        if (parts <= 1 || INSIDE.get()) {
            for (int i = 0; i < parts; i++) body.accept(i);
            return;
        }
        ExecutorService executor = executor(parts - 1);
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int i = 1; i < parts; i++) {
            int part = i;
            futures.add(executor.submit(() -> runInside(body, part)));
        }
        RuntimeException failure = null;
        try {
            runInside(body, 0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while waiting for a kernel", e);
            }
        }
        if (failure != null) throw failure;
    }

    private static void runInside(IntConsumer body, int part) {
        boolean was = INSIDE.get();
        INSIDE.set(true);
        try {
            body.accept(part);
        } finally {
            INSIDE.set(was);
        }
    }

    /** A pool with at least {@code workers} threads; grown (replaced) when a larger count is asked for. */
    private static synchronized ExecutorService executor(int workers) {
        if (pool == null || poolSize < workers) {
            if (pool != null) pool.shutdown();
            poolSize = Math.max(workers, Runtime.getRuntime().availableProcessors() - 1);
            int[] counter = {0};
            pool = Executors.newFixedThreadPool(poolSize, r -> {
                Thread t = new Thread(r, "jtune-kernel-" + (++counter[0]));
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }
}
