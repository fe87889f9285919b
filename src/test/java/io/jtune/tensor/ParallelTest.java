package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @AfterEach
    void restore() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void everyPartRunsExactlyOnce() {
        Parallel.setThreads(3);
        AtomicIntegerArray seen = new AtomicIntegerArray(5);
        Parallel.run(5, seen::incrementAndGet);
        for (int i = 0; i < 5; i++) assertEquals(1, seen.get(i), "part " + i);
    }

    @Test
    void aFailingPartFailsTheCall() {
        Parallel.setThreads(2);
        var e = assertThrows(IllegalStateException.class, () -> Parallel.run(2, i -> {
            if (i == 1) throw new IllegalStateException("part one broke");
        }));
        assertEquals("part one broke", e.getMessage());
    }

    @Test
    void nestedCallsRunInsideTheirPart() {
        Parallel.setThreads(2);
        int[][] inner = new int[2][3];
        Parallel.run(2, outer -> {
            assertEquals(1, Parallel.usableThreads());
            Parallel.run(3, i -> inner[outer][i] = outer * 10 + i);
        });
        assertArrayEquals(new int[] {0, 1, 2}, inner[0]);
        assertArrayEquals(new int[] {10, 11, 12}, inner[1]);
    }

    /** Thousands of short calls back to back (as a training step makes them): none loses or repeats a part. */
    @Test
    void shortCallsBackToBackEachRunEveryPartOnce() {
        Parallel.setThreads(2);
        long[] sums = new long[4];
        for (int call = 0; call < 5000; call++) {
            int c = call;
            Parallel.run(4, part -> sums[part] += c);   // each part's slot is written by one thread at a time
        }
        long expected = 5000L * 4999 / 2;
        for (int part = 0; part < 4; part++) assertEquals(expected, sums[part], "part " + part);
    }

    /** A call returns only after its slowest part: what the parts wrote is there for the caller to read. */
    @Test
    void aCallWaitsForItsSlowestPart() {
        Parallel.setThreads(2);
        int[] written = new int[2];
        Parallel.run(2, part -> {
            if (part == 1) java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
            written[part] = part + 1;
        });
        assertArrayEquals(new int[] {1, 2}, written);
    }

    /** Two application threads calling at once (the API serving two requests): both get every part done. */
    @Test
    void concurrentCallersBothComplete() throws Exception {
        Parallel.setThreads(2);
        long[][] sums = new long[2][3];
        Thread[] callers = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int caller = t;
            callers[t] = Thread.ofPlatform().start(() -> {
                for (int call = 0; call < 2000; call++) Parallel.run(3, part -> sums[caller][part]++);
            });
        }
        for (Thread t : callers) t.join(30_000);
        for (long[] s : sums) assertArrayEquals(new long[] {2000, 2000, 2000}, s);
    }

    @Test
    void threadCountMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }
}
