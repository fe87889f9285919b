package io.jtune.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The engine's thread pool: a small fixed crew of platform threads (compute kernels gain nothing
 * from virtual threads and must not be descheduled mid-tile), sized by {@link #setThreads}.
 *
 * <p>Callers split their work into {@code parts} independent pieces; the calling thread and the
 * crew take pieces from a shared counter until none is left, and the call returns when all are
 * done. Which thread runs a piece never matters (callers' results depend on the split only). A call
 * made from inside a piece, or while another thread's call holds the crew, runs sequentially, so
 * kernels can never deadlock the pool.
 *
 * <p>Why not an ExecutorService: a training step makes thousands of calls of a few hundred
 * microseconds each, and handing a task to a parked pool thread and waiting on its future cost
 * about 60 µs a call (measured on the 2-core machines), more than some of the work. The crew
 * instead spins for a moment after each piece of work, watching for the next call, and parks
 * only when none comes; the caller spins while the last pieces finish.
 */
public final class Parallel {
    /** How long a crew thread keeps watching for the next call before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    /** Held by the one caller whose call the crew is serving. */
    private static final ReentrantLock CALLER = new ReentrantLock();
    private static final List<Thread> CREW = new ArrayList<>();     // guarded by CALLER
    /** The call being served, null between calls. */
    private static volatile Call current;
    private static long calls;                                      // numbers the calls; guarded by CALLER

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
        if (parts <= 1 || INSIDE.get() || !CALLER.tryLock()) {
            for (int i = 0; i < parts; i++) body.accept(i);
            return;
        }
        try {
            growCrew(Math.min(parts, threads) - 1);
            Call call = new Call(++calls, body, parts);
            current = call;
            for (Thread t : CREW) LockSupport.unpark(t);
            call.work();
            call.awaitDone();
            current = null;
            call.rethrow();
        } finally {
            CALLER.unlock();
        }
    }

    /** Starts crew threads until there are {@code size}; they stay for the life of the process. */
    private static void growCrew(int size) {
        while (CREW.size() < size) {
            Thread t = Thread.ofPlatform().name("jtune-kernel-" + (CREW.size() + 1)).daemon(true).unstarted(Parallel::crewLoop);
            CREW.add(t);
            t.start();
        }
    }

    /**
     * A crew thread: serve each new call, spin a moment for the next, park when none comes. It
     * remembers the last call by number, not by reference: a reference would keep that call's
     * body, and the arrays it captured, reachable after the caller is done with them.
     */
    private static void crewLoop() {
        long seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Call call;
            while ((call = current) == null || call.id == seen) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(Parallel.class);   // the caller unparks every crew thread on a new call
                }
            }
            seen = call.id;
            call.work();
        }
    }

    /** One parallel call: its pieces are handed out by a counter; the first failure is kept. */
    private static final class Call {
        final long id;
        final IntConsumer body;
        final int parts;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Call(long id, IntConsumer body, int parts) {
            this.id = id;
            this.body = body;
            this.parts = parts;
        }

        /** Takes and runs pieces until none is left (on the caller and on crew threads alike). */
        void work() {
            boolean was = INSIDE.get();
            INSIDE.set(true);
            try {
                for (int part = next.getAndIncrement(); part < parts; part = next.getAndIncrement()) {
                    try {
                        body.accept(part);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                    done.incrementAndGet();
                }
            } finally {
                INSIDE.set(was);
            }
        }

        /** Spins until every piece is done; yields if a crew thread seems descheduled. */
        void awaitDone() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (done.get() < parts) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t == null) return;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }
}
