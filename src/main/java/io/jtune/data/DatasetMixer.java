package io.jtune.data;

import io.jtune.JtuneException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Merges several datasets as LLaMA-Factory's mix_strategy: concat (one after the other), or
 * interleave (one example at a time, from a dataset picked in turn or at random with
 * interleave_probs): interleave_under stops when the picked dataset runs out, interleave_over
 * restarts datasets that run out until every one has been read once, interleave_once reads each
 * example once. Random picks use the seed (not numpy's generator: same rules, other draws).
 */
public final class DatasetMixer {
    private DatasetMixer() {}

    public static <T> List<T> merge(List<List<T>> datasets, String strategy, List<Double> probs, long seed) {
        if (datasets.size() == 1) return datasets.getFirst();
        if (!probs.isEmpty() && probs.size() != datasets.size()) {
            throw new JtuneException("interleave_probs has " + probs.size() + " values for " + datasets.size()
                    + " datasets; give one probability per dataset.");
        }
        return switch (strategy) {
            case "concat" -> {
                if (!probs.isEmpty()) throw new JtuneException("interleave_probs is only valid with mix_strategy interleave_under, interleave_over or interleave_once.");
                List<T> all = new ArrayList<>();
                datasets.forEach(all::addAll);
                yield all;
            }
            case "interleave_under" -> interleave(datasets, probs, seed, Stop.FIRST_EXHAUSTED);
            case "interleave_over" -> interleave(datasets, probs, seed, Stop.ALL_EXHAUSTED);
            case "interleave_once" -> interleave(datasets, probs, seed, Stop.ONCE);
            default -> throw new JtuneException("Unknown mix_strategy '" + strategy
                    + "'; allowed: concat, interleave_under, interleave_over, interleave_once.");
        };
    }

    private enum Stop { FIRST_EXHAUSTED, ALL_EXHAUSTED, ONCE }

    private static <T> List<T> interleave(List<List<T>> datasets, List<Double> probs, long seed, Stop stop) {
        int n = datasets.size();
        for (List<T> d : datasets) {
            if (d.isEmpty()) throw new JtuneException("Cannot interleave an empty dataset; check the dataset files.");
        }
        int[] next = new int[n];
        boolean[] exhausted = new boolean[n];
        boolean[] removed = new boolean[n];
        int exhaustedCount = 0;
        Random random = new Random(seed);
        List<T> out = new ArrayList<>();
        int turn = 0;
        while (true) {
            int pick = probs.isEmpty() ? nextInTurn(turn++, removed) : sample(random, probs, removed);
            if (pick < 0) break; // ONCE: every dataset fully read
            if (next[pick] == datasets.get(pick).size()) {
                if (stop == Stop.FIRST_EXHAUSTED) break;
                next[pick] = 0; // ALL_EXHAUSTED: start this dataset again
            }
            out.add(datasets.get(pick).get(next[pick]++));
            if (next[pick] == datasets.get(pick).size() && !exhausted[pick]) {
                exhausted[pick] = true;
                exhaustedCount++;
                if (stop == Stop.ONCE) removed[pick] = true;
                if (stop == Stop.ALL_EXHAUSTED && exhaustedCount == n) break;
            }
        }
        return out;
    }

    private static int nextInTurn(int turn, boolean[] removed) {
        int n = removed.length;
        for (int k = 0; k < n; k++) {
            int i = (turn + k) % n;
            if (!removed[i]) return i;
        }
        return -1;
    }

    private static int sample(Random random, List<Double> probs, boolean[] removed) {
        double total = 0;
        for (int i = 0; i < probs.size(); i++) if (!removed[i]) total += probs.get(i);
        if (total <= 0) return -1;
        double r = random.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < probs.size(); i++) {
            if (removed[i]) continue;
            last = i;
            r -= probs.get(i);
            if (r < 0) return i;
        }
        return last;
    }
}
