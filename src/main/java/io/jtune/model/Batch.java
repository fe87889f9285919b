package io.jtune.model;

import io.jtune.JtuneException;

/**
 * One batch of token rows, each array [batchSize x seqLen] row-major.
 *
 * @param labels      the target of each position as in HF (the model shifts them: position t predicts
 *                    labels[t+1]); -100 is ignored; null when only logits are wanted
 * @param positionIds per-token RoPE positions (packed sequences restart at 0)
 * @param segmentIds  per-token example ids for packed rows: a token attends only to earlier tokens with
 *                    the same id (neat_packing); null when each row is one example
 * @param rowTags     one int per row that a row-level objective reads (KTO: 1 desirable, 0 undesirable),
 *                    or null; the model itself never reads them
 */
public record Batch(int batchSize, int seqLen, int[] inputIds, int[] labels, int[] positionIds, int[] segmentIds, int[] rowTags) {
    /** The label of a position that predicts nothing (HF's ignore_index). */
    public static final int IGNORE_INDEX = -100;

    public Batch {
        int n = batchSize * seqLen;
        if (batchSize < 1 || seqLen < 1) throw new JtuneException("a batch needs at least one token, got " + batchSize + " x " + seqLen);
        check("input_ids", inputIds, n);
        if (labels != null) check("labels", labels, n);
        check("position_ids", positionIds, n);
        if (segmentIds != null) check("segment ids", segmentIds, n);
        if (rowTags != null && rowTags.length != batchSize) {
            throw new JtuneException("row tags must hold one value per row (" + batchSize + "), has " + rowTags.length);
        }
    }

    /** A batch without row tags. */
    public Batch(int batchSize, int seqLen, int[] inputIds, int[] labels, int[] positionIds, int[] segmentIds) {
        this(batchSize, seqLen, inputIds, labels, positionIds, segmentIds, null);
    }

    private static void check(String what, int[] a, int n) {
        if (a == null || a.length != n) {
            throw new JtuneException(what + " must hold batch x seq = " + n + " values, has "
                    + (a == null ? "none" : a.length));
        }
    }

    /** Rows of equal length with positions 0..T-1 and no packing. */
    public static Batch of(int[][] ids, int[][] labels) {
        int b = ids.length, t = ids[0].length;
        int[] flatIds = new int[b * t], flatLabels = labels == null ? null : new int[b * t], pos = new int[b * t];
        for (int r = 0; r < b; r++) {
            if (ids[r].length != t || (labels != null && labels[r].length != t)) {
                throw new JtuneException("every row of a batch must have " + t + " tokens; row " + r + " differs");
            }
            System.arraycopy(ids[r], 0, flatIds, r * t, t);
            if (labels != null) System.arraycopy(labels[r], 0, flatLabels, r * t, t);
            for (int i = 0; i < t; i++) pos[r * t + i] = i;
        }
        return new Batch(b, t, flatIds, flatLabels, pos, null);
    }

    public int tokens() {
        return batchSize * seqLen;
    }

    /** The shifted targets: position t of a row predicts labels[t+1]; the last position predicts nothing. */
    int[] shiftedTargets() {
        int[] targets = new int[tokens()];
        for (int r = 0; r < batchSize; r++) {
            for (int t = 0; t < seqLen; t++) {
                targets[r * seqLen + t] = t + 1 < seqLen ? labels[r * seqLen + t + 1] : IGNORE_INDEX;
            }
        }
        return targets;
    }
}
