package io.jtune.nn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A parallel for-loop over task indices for the ops, run on the engine's one thread pool
 * ({@link io.jtune.tensor.Parallel}, shared with the GEMM and sized there).
 *
 * <p>Determinism rule every caller follows: task {@code i} writes only outputs that no other task
 * writes, and sums inside a task run in a fixed order. The split into tasks is a function of the
 * problem size only, never of the thread count, so results are bit-identical with 1 or N threads;
 * which thread runs a task (handed out from a shared counter, for balance) does not matter.
 */
public final class ParallelTasks {
    private ParallelTasks() {}

    /** Sets the number of threads for the ops and the GEMM alike. */
    public static void setThreads(int threads) {
        io.jtune.tensor.Parallel.setThreads(threads);
    }

    public static int threads() {
        return io.jtune.tensor.Parallel.threads();
    }

    /** Runs {@code body.accept(i)} for every i in [0, tasks), in parallel when worthwhile. */
    public static void forEach(int tasks, IntConsumer body) {
        int workers = Math.min(tasks, io.jtune.tensor.Parallel.usableThreads());
        if (workers <= 1) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        io.jtune.tensor.Parallel.run(workers, worker -> {
            for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) body.accept(i);
        });
    }

    /** Number of equal chunks to split {@code n} items into, each at least {@code minChunk} long. */
    public static int chunks(int n, int minChunk) {
        return Math.max(1, Math.min(64, n / Math.max(1, minChunk)));
    }

    /** Elements of work below which a task is not worth handing to another thread. */
    public static final int MIN_TASK_WORK = 1 << 14;

    /** Chunks for {@code rows} rows of {@code rowWork} elements each, every chunk worth a thread hand-off. */
    public static int rowChunks(int rows, int rowWork) {
        return chunks(rows, Math.max(1, MIN_TASK_WORK / Math.max(1, rowWork)));
    }

    /**
     * Like {@link #forEach(int, IntConsumer)}, but runs on the calling thread when the total work
     * (in elementary operations) is too small to repay waking other threads: decode steps and tiny
     * models would otherwise spend their time in thread hand-offs. Results are the same either way.
     */
    public static void forEach(int tasks, long totalWork, IntConsumer body) {
        if (totalWork < 4L * MIN_TASK_WORK) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        forEach(tasks, body);
    }
}
