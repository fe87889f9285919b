package io.jtune.data.template;

import java.util.Arrays;

/** A growable int array: token ids without boxing. */
public final class IntList {
    private int[] data = new int[16];
    private int size;

    public void add(int v) {
        if (size == data.length) data = Arrays.copyOf(data, size * 2);
        data[size++] = v;
    }

    public void addAll(int[] values) {
        if (size + values.length > data.length) data = Arrays.copyOf(data, Math.max(size * 2, size + values.length));
        System.arraycopy(values, 0, data, size, values.length);
        size += values.length;
    }

    public int size() {
        return size;
    }

    public int[] toArray() {
        return Arrays.copyOf(data, size);
    }
}
