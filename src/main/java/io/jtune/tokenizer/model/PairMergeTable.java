package io.jtune.tokenizer.model;

import java.util.Arrays;

/**
 * The merges of a BPE model as an open-addressing hash table keyed by the pair of symbol ids.
 * A lookup returns the merge's rank (its line in the merges list, lower merges first) and the id
 * of the merged symbol packed into one long, so the merge loop touches no objects.
 */
final class PairMergeTable {
    static final long ABSENT = -1L;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    PairMergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, ABSENT);
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Records a merge unless the pair already has one: the first (lowest-rank) merge wins, as in HF. */
    void putIfAbsent(int left, int right, int rank, int mergedId) {
        if ((size + 1) * 2 > keys.length) grow();
        long k = key(left, right);
        int i = slot(k, mask);
        while (keys[i] != ABSENT) {
            if (keys[i] == k) return;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
        size++;
    }

    /** The packed (rank, merged id) of a pair, or {@link #ABSENT}. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k, mask);
        long probe;
        while ((probe = keys[i]) != ABSENT) {
            if (probe == k) return values[i];
            i = (i + 1) & mask;
        }
        return ABSENT;
    }

    static int rank(long packed) {
        return (int) (packed >>> 32);
    }

    static int mergedId(long packed) {
        return (int) packed;
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys, oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, ABSENT);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == ABSENT) continue;
            int i = slot(oldKeys[j], mask);
            while (keys[i] != ABSENT) i = (i + 1) & mask;
            keys[i] = oldKeys[j];
            values[i] = oldValues[j];
        }
    }
}
