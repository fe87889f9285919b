package io.jtune.data;

import io.jtune.JtuneException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * LLaMA-Factory's val_size: a fraction in (0, 1) holds out ceil(fraction * n) examples, a number
 * >= 1 holds out that many; which ones is a seeded shuffle (as HF's train_test_split, with Java's
 * generator instead of numpy's).
 */
public final class TrainValSplit {
    public record Split<T>(List<T> train, List<T> validation) {}

    private TrainValSplit() {}

    public static <T> Split<T> split(List<T> data, double valSize, long seed) {
        if (valSize <= 1e-6) return new Split<>(data, List.of());
        int n = data.size();
        int test;
        if (valSize < 1) {
            test = (int) Math.ceil(valSize * n);
        } else {
            if (valSize != Math.floor(valSize)) {
                throw new JtuneException("val_size must be a fraction in (0, 1) or a whole number of examples, got " + valSize + ".");
            }
            test = (int) valSize;
        }
        if (test >= n) {
            throw new JtuneException("val_size " + valSize + " holds out " + test + " of " + n
                    + " examples, leaving none to train on; use a smaller val_size.");
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) order.add(i);
        Collections.shuffle(order, new Random(seed));
        List<T> validation = new ArrayList<>();
        List<T> train = new ArrayList<>();
        for (int i = 0; i < n; i++) (i < test ? validation : train).add(data.get(order.get(i)));
        return new Split<>(train, validation);
    }
}
