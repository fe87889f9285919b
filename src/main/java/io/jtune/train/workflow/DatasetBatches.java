package io.jtune.train.workflow;

import io.jtune.data.TokenizedExample;
import io.jtune.data.batch.BatchSampler;
import io.jtune.data.batch.Collator;
import io.jtune.model.Batch;
import io.jtune.train.TrainBatches;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokenized examples as the trainer's micro-batches: shuffled per epoch with the data seed, padded
 * to the longest example of each batch (dynamic padding), flattened into the engine's batch.
 */
public final class DatasetBatches implements TrainBatches {
    private final BatchSampler<TokenizedExample> sampler;
    private final Collator collator;
    private final boolean neatPacking;
    private final boolean pairs;
    private int cachedEpoch = -1;
    private List<List<TokenizedExample>> cachedBatches;

    public DatasetBatches(List<TokenizedExample> examples, int batchSize, long seed, boolean shuffle, int padId, boolean neatPacking) {
        this(examples, batchSize, seed, shuffle, padId, neatPacking, false);
    }

    /**
     * @param pairs whether the examples are preference pairs: a batch of n pairs then has 2n rows, the
     *              chosen answers first and the rejected ones after them ({@link Collator#collatePairs})
     */
    public DatasetBatches(List<TokenizedExample> examples, int batchSize, long seed, boolean shuffle, int padId, boolean neatPacking,
                          boolean pairs) {
        this.sampler = new BatchSampler<>(examples, batchSize, seed, shuffle);
        this.collator = new Collator(padId);
        this.neatPacking = neatPacking;
        this.pairs = pairs;
    }

    @Override
    public int batchesPerEpoch() {
        return sampler.batchesPerEpoch();
    }

    @Override
    public Batch batch(int epoch, int index) {
        if (epoch != cachedEpoch) {
            cachedBatches = sampler.epoch(epoch);
            cachedEpoch = epoch;
        }
        return toEngine(collate(collator, cachedBatches.get(index), pairs), neatPacking);
    }

    private static io.jtune.data.batch.PaddedBatch collate(Collator collator, List<TokenizedExample> examples, boolean pairs) {
        return pairs ? collator.collatePairs(examples) : collator.collate(examples);
    }

    /** Every example in order, in batches of {@code batchSize} (evaluation). */
    public static List<Batch> inOrder(List<TokenizedExample> examples, int batchSize, int padId, boolean neatPacking) {
        return inOrder(examples, batchSize, padId, neatPacking, false);
    }

    /** Every example in order, in batches of {@code batchSize} examples (pairs: 2 rows each). */
    public static List<Batch> inOrder(List<TokenizedExample> examples, int batchSize, int padId, boolean neatPacking, boolean pairs) {
        Collator collator = new Collator(padId);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i += batchSize) {
            out.add(toEngine(collate(collator, examples.subList(i, Math.min(examples.size(), i + batchSize)), pairs), neatPacking));
        }
        return out;
    }

    /**
     * Flattens a padded batch. Segment ids go to the engine only with neat packing: without it each row
     * is one example padded on the right, and causal attention never reaches the padding anyway.
     */
    static Batch toEngine(io.jtune.data.batch.PaddedBatch b, boolean neatPacking) {
        int rows = b.size(), len = b.seqLen();
        int[] ids = new int[rows * len], labels = new int[rows * len], pos = new int[rows * len];
        int[] seg = neatPacking ? new int[rows * len] : null;
        for (int r = 0; r < rows; r++) {
            System.arraycopy(b.inputIds()[r], 0, ids, r * len, len);
            System.arraycopy(b.labels()[r], 0, labels, r * len, len);
            System.arraycopy(b.positionIds()[r], 0, pos, r * len, len);
            if (seg != null) System.arraycopy(b.segmentIds()[r], 0, seg, r * len, len);
        }
        return new Batch(rows, len, ids, labels, pos, seg);
    }
}
