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

    @Test
    void threadCountMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }
}
