package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The shared key/value cache: growth keeps what was stored, stops at the context length; truncation keeps a prefix. */
class KvCacheTest {

    @Test
    void growingKeepsStoredKeysValuesAndTokens() {
        int kvDim = 3, layers = 2, max = 150;
        KvCache cache = new KvCache(layers, kvDim, max);
        int[] ids = new int[max];
        for (int t = 0; t < max; t++) {
            ids[t] = 1000 + t;
            cache.ensureCapacity(t + 1);
            for (int l = 0; l < layers; l++) {
                float[] k = {t, l, 1}, v = {-t, l, 2};
                cache.store(l, t, k, v, 0, 1);
            }
            cache.append(ids, t, 1);
        }
        assertEquals(max, cache.length());
        assertEquals(max * kvDim, cache.keys(0).length, "doubling 64 -> 128 -> capped at the context length");
        assertArrayEquals(ids, cache.tokens());
        for (int t = 0; t < max; t++) {
            for (int l = 0; l < layers; l++) {
                assertEquals(t, cache.keys(l)[t * kvDim]);
                assertEquals(l, cache.keys(l)[t * kvDim + 1]);
                assertEquals(-t, cache.values(l)[t * kvDim]);
                assertEquals(2, cache.values(l)[t * kvDim + 2]);
            }
        }
    }

    @Test
    void storesRowsOfAStepAtTheirPositions() {
        KvCache cache = new KvCache(1, 2, 64);
        cache.ensureCapacity(5);
        float[] keys = {0, 0, 1, 1, 2, 2, 3, 3}, values = {5, 5, 6, 6, 7, 7, 8, 8};
        cache.store(0, 2, keys, values, 1, 3);   // rows 1..3 of the step at positions 2..4
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3}, java.util.Arrays.copyOfRange(cache.keys(0), 4, 10));
        assertArrayEquals(new float[] {6, 6, 7, 7, 8, 8}, java.util.Arrays.copyOfRange(cache.values(0), 4, 10));
    }

    @Test
    void truncationKeepsAPrefixAndRefusesToGrow() {
        KvCache cache = new KvCache(1, 1, 64);
        cache.ensureCapacity(4);
        cache.append(new int[] {7, 8, 9, 10}, 0, 4);
        cache.truncate(2);
        assertArrayEquals(new int[] {7, 8}, cache.tokens());
        assertThrows(IllegalArgumentException.class, () -> cache.truncate(3));
        cache.clear();
        assertEquals(0, cache.length());
    }
}
