package io.jtune.tokenizer.model;

import java.util.Arrays;

/**
 * A word being merged: its symbols as a doubly linked list over arrays (a merge unlinks the right
 * symbol and keeps the left one's position), and a heap of candidate pairs keyed by merge rank.
 */
final class Symbols {
    private int[] id;
    private int[] prev;
    private int[] next;
    private int count;

    Symbols(int capacity) {
        id = new int[capacity];
        prev = new int[capacity];
        next = new int[capacity];
    }

    void add(int symbolId) {
        if (count == id.length) {
            id = Arrays.copyOf(id, count * 2);
            prev = Arrays.copyOf(prev, count * 2);
            next = Arrays.copyOf(next, count * 2);
        }
        id[count] = symbolId;
        prev[count] = count - 1;
        next[count] = count + 1;
        count++;
    }

    void mergeAll(PairMergeTable merges) {
        if (count < 2) return;
        next[count - 1] = -1;
        LongHeap heap = new LongHeap(count);
        for (int i = 0; i + 1 < count; i++) pushPair(merges, heap, i);
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            int right = next[left];
            // Skip candidates made stale by an earlier merge of either neighbour.
            if (id[left] < 0 || right < 0) continue;
            long packed = merges.get(id[left], id[right]);
            if (packed == PairMergeTable.ABSENT || PairMergeTable.rank(packed) != rank) continue;
            id[left] = PairMergeTable.mergedId(packed);
            id[right] = -1;
            int after = next[right];
            next[left] = after;
            if (after >= 0) prev[after] = left;
            if (prev[left] >= 0) pushPair(merges, heap, prev[left]);
            if (after >= 0) pushPair(merges, heap, left);
        }
    }

    private void pushPair(PairMergeTable merges, LongHeap heap, int left) {
        int right = next[left];
        long packed = merges.get(id[left], id[right]);
        if (packed != PairMergeTable.ABSENT) {
            heap.push(((long) PairMergeTable.rank(packed) << 32) | left);
        }
    }

    int[] ids() {
        int n = 0;
        for (int i = 0; i < count; i++) if (id[i] >= 0) n++;
        int[] out = new int[n];
        int j = 0;
        for (int i = 0; i < count; i++) if (id[i] >= 0) out[j++] = id[i];
        return out;
    }
}
