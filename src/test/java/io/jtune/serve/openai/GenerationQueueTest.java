package io.jtune.serve.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class GenerationQueueTest {

    @Test
    void servesWaitingRequestsInArrivalOrder() throws Exception {
        GenerationQueue queue = new GenerationQueue(8);
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        GenerationQueue.Turn held = queue.awaitTurn();
        for (int i = 0; i < 6; i++) {
            int id = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try (GenerationQueue.Turn turn = queue.awaitTurn()) {
                    order.add(id);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
            while (queue.waiting() != i + 1) { // the next one arrives only once this one is queued
                Thread.onSpinWait();
            }
        }
        held.close();
        held.close(); // closing twice must not let two requests in at once
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5), order);
        assertEquals(0, queue.waiting());
    }

    @Test
    void refusesWhenCapacityRequestsAlreadyWait() throws Exception {
        GenerationQueue queue = new GenerationQueue(1);
        GenerationQueue.Turn held = queue.awaitTurn();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try (GenerationQueue.Turn turn = queue.awaitTurn()) {
                // got the model after the holder
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        while (queue.waiting() != 1) {
            Thread.onSpinWait();
        }
        ApiError busy = assertThrows(ApiError.class, queue::awaitTurn);
        assertEquals(503, busy.status());
        assertEquals("server_busy", busy.code());
        held.close();
        waiter.join(10_000);
        try (GenerationQueue.Turn again = queue.awaitTurn()) {
            assertEquals(0, queue.waiting()); // an idle model is taken at once
        }
    }
}
