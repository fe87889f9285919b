package io.jtune.data.batch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Splits a dataset into batches for one epoch, shuffled with a seed that depends on the epoch, so
 * a resumed run sees the same order.
 */
public final class BatchSampler<T> {
    private final List<T> data;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;

    public BatchSampler(List<T> data, int batchSize, long seed, boolean shuffle) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1");
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    /** The batches of {@code epoch}; the last one may be smaller. */
    public List<List<T>> epoch(int epoch) {
        List<Integer> order = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) order.add(i);
        if (shuffle) Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        List<List<T>> batches = new ArrayList<>();
        for (int start = 0; start < order.size(); start += batchSize) {
            List<T> batch = new ArrayList<>();
            for (int i = start; i < Math.min(start + batchSize, order.size()); i++) batch.add(data.get(order.get(i)));
            batches.add(batch);
        }
        return batches;
    }

    public int batchesPerEpoch() {
        return (data.size() + batchSize - 1) / batchSize;
    }
}
