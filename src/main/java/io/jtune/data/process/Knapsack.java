package io.jtune.data.process;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** LLaMA-Factory's greedy_knapsack: fill each pack with the largest length that still fits. */
public final class Knapsack {
    private Knapsack() {}

    /** Groups {@code lengths} (each at most {@code capacity}) into packs; each pack lists its lengths in pick order. */
    public static List<List<Integer>> greedy(List<Integer> lengths, int capacity) {
        List<Integer> numbers = new ArrayList<>(lengths);
        Collections.sort(numbers);
        List<List<Integer>> packs = new ArrayList<>();
        while (!numbers.isEmpty()) {
            List<Integer> pack = new ArrayList<>();
            int remaining = capacity;
            while (true) {
                int index = largestAtMost(numbers, remaining);
                if (index < 0) break;
                remaining -= numbers.get(index);
                pack.add(numbers.remove(index));
            }
            if (pack.isEmpty()) throw new IllegalArgumentException("a length exceeds the capacity " + capacity);
            packs.add(pack);
        }
        return packs;
    }

    /** Python's bisect_right(numbers, capacity) - 1: the last index whose value is <= capacity, or -1. */
    private static int largestAtMost(List<Integer> sorted, int capacity) {
        int lo = 0, hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted.get(mid) <= capacity) lo = mid + 1;
            else hi = mid;
        }
        return lo - 1;
    }
}
