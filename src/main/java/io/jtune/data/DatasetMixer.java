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
        return probs.isEmpty() ? roundRobin(datasets, stop) : sampled(datasets, probs, seed, stop);
    }

    /** Without probabilities: whole rounds, one example of each dataset per round (as Hugging Face). */
    private static <T> List<T> roundRobin(List<List<T>> datasets, Stop stop) {
        int min = Integer.MAX_VALUE, max = 0;
        for (List<T> d : datasets) {
            min = Math.min(min, d.size());
            max = Math.max(max, d.size());
        }
        List<T> out = new ArrayList<>();
        int rounds = stop == Stop.FIRST_EXHAUSTED ? min : max;
        for (int r = 0; r < rounds; r++) {
            for (List<T> d : datasets) {
                if (r < d.size()) out.add(d.get(r));
                else if (stop == Stop.ALL_EXHAUSTED) out.add(d.get(r % d.size())); // start it again
            }
        }
        return out;
    }

    /**
     * With probabilities: a dataset is drawn for every example; under stops right after the first
     * dataset runs out, over restarts datasets until all have run out, once drops datasets that ran out.
     */
    private static <T> List<T> sampled(List<List<T>> datasets, List<Double> probs, long seed, Stop stop) {
        int n = datasets.size();
        int[] next = new int[n];
        boolean[] exhausted = new boolean[n];
        boolean[] removed = new boolean[n];
        int exhaustedCount = 0;
        Random random = new Random(seed);
        List<T> out = new ArrayList<>();
        while (!(stop == Stop.FIRST_EXHAUSTED && exhaustedCount > 0) && exhaustedCount < n) {
            int pick = sample(random, probs, removed);
            if (pick < 0) break;
            out.add(datasets.get(pick).get(next[pick]++));
            if (next[pick] == datasets.get(pick).size()) {
                next[pick] = 0;
                if (!exhausted[pick]) {
                    exhausted[pick] = true;
                    exhaustedCount++;
                }
                if (stop == Stop.ONCE) removed[pick] = true;
            }
        }
        return out;
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
