package io.jtune.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Workers of a data-parallel run as threads of one JVM, for tests of the trainer's side of the
 * exchange: the payloads meet in shared slots between two barriers, and each worker adds the
 * gradients up itself in rank order.
 */
public final class InProcessGroup {
    private final int size;
    private final CyclicBarrier barrier;
    private final Object[] slots;

    public InProcessGroup(int size) {
        this.size = size;
        this.barrier = new CyclicBarrier(size);
        this.slots = new Object[size];
    }

    /** The worker of rank {@code rank}. */
    public DataParallel worker(int rank) {
        return new DataParallel() {
            @Override
            public int rank() {
                return rank;
            }

            @Override
            public int worldSize() {
                return size;
            }

            @Override
            public List<byte[]> allGather(byte[] mine) {
                slots[rank] = mine.clone();
                await();
                List<byte[]> all = new ArrayList<>();
                for (Object s : slots) all.add(((byte[]) s).clone());
                await();
                return all;
            }

            @Override
            public void allReduceSum(float[] values) {
                slots[rank] = values;
                await();
                float[] sum = ((float[]) slots[0]).clone();
                for (int r = 1; r < size; r++) {
                    float[] v = (float[]) slots[r];
                    for (int i = 0; i < sum.length; i++) sum[i] += v[i];
                }
                await(); // nobody reads the others' arrays any more
                System.arraycopy(sum, 0, values, 0, values.length);
                Arrays.fill(slots, null);
                await();
            }
        };
    }

    /** Ends every exchange in progress or to come with an error: a worker failed, the others must not wait for it. */
    public void abort() {
        barrier.reset();
    }

    private void await() {
        try {
            barrier.await(240, TimeUnit.SECONDS);
        } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
            throw new IllegalStateException("a worker of the in-process group failed or hung", e);
        }
    }
}
