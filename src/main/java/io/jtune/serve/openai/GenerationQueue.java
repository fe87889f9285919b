package io.jtune.serve.openai;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admits requests to the model, {@code concurrency} at a time (the engine's batch: they are decoded
 * together), in arrival order. A fair semaphore keeps a FIFO of waiting threads, so nobody is
 * overtaken; at most {@code capacity} requests may wait, later ones are refused at once (503)
 * instead of piling up memory and time-outs.
 */
public final class GenerationQueue {
    private final Semaphore model;
    private final AtomicInteger waiting = new AtomicInteger();
    private final int concurrency;
    private final int capacity;

    /** One request at a time. */
    public GenerationQueue(int capacity) {
        this(1, capacity);
    }

    public GenerationQueue(int concurrency, int capacity) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        }
        if (capacity < 0) {
            throw new IllegalArgumentException("queue capacity must be >= 0, got " + capacity);
        }
        this.model = new Semaphore(concurrency, true);
        this.concurrency = concurrency;
        this.capacity = capacity;
    }

    /** A held turn on the model; closing it (once, however often it is called) lets the next request in. */
    final class Turn implements AutoCloseable {
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Turn() {}

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                model.release();
            }
        }
    }

    /**
     * Blocks until it is this request's turn.
     *
     * @throws ApiError 503 when {@code capacity} requests are already waiting
     */
    Turn awaitTurn() throws InterruptedException {
        // The timed form honours fairness (the untimed tryAcquire() would barge past waiting requests):
        // it succeeds only when a place is free and nobody is queued.
        if (model.tryAcquire(0, TimeUnit.SECONDS)) {
            return new Turn();
        }
        if (waiting.incrementAndGet() > capacity) {
            waiting.decrementAndGet();
            throw ApiError.busy(capacity);
        }
        try {
            model.acquire();
        } finally {
            waiting.decrementAndGet();
        }
        return new Turn();
    }

    /** Requests waiting for their turn now (not counting the one generating). */
    public int waiting() {
        return waiting.get();
    }

    /** Requests holding a turn now (generating). */
    public int running() {
        return concurrency - model.availablePermits();
    }

    /** Whether a new request would be taken (run or queued) rather than refused with 503. */
    public boolean accepting() {
        return waiting.get() < capacity || model.availablePermits() > 0;
    }
}
