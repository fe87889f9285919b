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
    private final Layout layout;
    private int cachedEpoch = -1;
    private List<List<TokenizedExample>> cachedBatches;

    public DatasetBatches(List<TokenizedExample> examples, int batchSize, long seed, boolean shuffle, int padId, boolean neatPacking) {
        this(examples, batchSize, seed, shuffle, padId, neatPacking, Layout.SINGLE);
    }

    /** How a stage's examples become the rows of an engine batch. */
    public enum Layout {
        /** One row per example (pt, sft). */
        SINGLE,
        /** Preference pairs: n pairs are 2n rows, the chosen answers first ({@link Collator#collatePairs}). */
        PAIRS,
        /** KTO: n examples, then their n KL sequences, with each example's kto_tag as its row tag ({@link Collator#collateWithKl}). */
        KTO
    }

    public DatasetBatches(List<TokenizedExample> examples, int batchSize, long seed, boolean shuffle, int padId, boolean neatPacking,
                          Layout layout) {
        this.sampler = new BatchSampler<>(examples, batchSize, seed, shuffle);
        this.collator = new Collator(padId);
        this.neatPacking = neatPacking;
        this.layout = layout;
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
        return batchOf(collator, cachedBatches.get(index), layout, neatPacking);
    }

    private static Batch batchOf(Collator collator, List<TokenizedExample> examples, Layout layout, boolean neatPacking) {
        return switch (layout) {
            case SINGLE -> toEngine(collator.collate(examples), neatPacking);
            case PAIRS -> toEngine(collator.collatePairs(examples), neatPacking);
            case KTO -> {
                Batch b = toEngine(collator.collateWithKl(examples), neatPacking);
                int[] tags = new int[b.batchSize()];
                java.util.Arrays.fill(tags, -1);   // the KL rows are no examples
                for (int i = 0; i < examples.size(); i++) tags[i] = examples.get(i).get("kto_tags")[0];
                yield new Batch(b.batchSize(), b.seqLen(), b.inputIds(), b.labels(), b.positionIds(), b.segmentIds(), tags);
            }
        };
    }

    /** Every example in order, in batches of {@code batchSize} (evaluation). */
    public static List<Batch> inOrder(List<TokenizedExample> examples, int batchSize, int padId, boolean neatPacking) {
        return inOrder(examples, batchSize, padId, neatPacking, Layout.SINGLE);
    }

    /** Every example in order, in batches of {@code batchSize} examples (pairs and KTO examples: 2 rows each). */
    public static List<Batch> inOrder(List<TokenizedExample> examples, int batchSize, int padId, boolean neatPacking, Layout layout) {
        Collator collator = new Collator(padId);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i += batchSize) {
            out.add(batchOf(collator, examples.subList(i, Math.min(examples.size(), i + batchSize)), layout, neatPacking));
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
