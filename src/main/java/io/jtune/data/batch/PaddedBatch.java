package io.jtune.data.batch;

/**
 * A padded batch, row-major [batch][seqLen]: token ids (padding = the pad id), labels (-100 where
 * no loss is computed, padding included), position ids (0.. per example; restarting per packed
 * example) and segment ids: 0 on padding, otherwise the 1-based index of the packed example a token
 * belongs to (always 1 without neat packing). Attention is allowed from token i to token j only
 * when j &lt;= i and both have the same non-zero segment id.
 *
 * <p>One array per example, as the data path builds it; training flattens it into the engine's
 * {@code model.Batch} (train.workflow.DatasetBatches).
 */
public record PaddedBatch(int[][] inputIds, int[][] labels, int[][] positionIds, int[][] segmentIds) {
    public int size() {
        return inputIds.length;
    }

    public int seqLen() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
