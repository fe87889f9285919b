package io.jtune.model;

import java.util.Arrays;

/**
 * One sequence's key/value cache: per layer, the keys and the values of every token the sequence
 * holds (fp32, [capacity x kvDim], token t's at t·kvDim), and the tokens themselves. It grows by
 * doubling, from 64 tokens up to the model's context length, so appending a token is amortised
 * constant time; truncating keeps a prefix (a chat's next turn reuses its previous prompt and reply).
 *
 * <p>Writing a step's keys and values ({@link #store}) and counting its tokens in ({@link #append})
 * are separate: attention writes each layer's keys while the step runs, and the tokens count only
 * once every layer has them. {@link InferenceSession} keeps one; {@link BatchDecoder} one per
 * sequence. Not thread-safe.
 */
final class KvCache {
    private static final int FIRST_CAPACITY = 64;

    private final int kvDim;
    private final int maxLength;
    private final float[][] keys, values;
    private int[] tokens = new int[0];
    private int capacity;
    private int length;

    KvCache(int layers, int kvDim, int maxLength) {
        this.kvDim = kvDim;
        this.maxLength = maxLength;
        this.keys = new float[layers][];
        this.values = new float[layers][];
    }

    /** Tokens held. */
    int length() { return length; }

    /** The tokens held, in order. */
    int[] tokens() { return Arrays.copyOf(tokens, length); }

    /** Layer {@code layer}'s keys, token t's at t·kvDim (valid below the length, plus what a running step stored). */
    float[] keys(int layer) { return keys[layer]; }

    float[] values(int layer) { return values[layer]; }

    /** Forgets every token. */
    void clear() { length = 0; }

    /** Keeps the first {@code newLength} tokens (a shared prompt prefix) and forgets the rest. */
    void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate " + length + " cached tokens to " + newLength);
        }
        length = newLength;
    }

    /** Grows the cache (doubling, up to the context length) so that it holds {@code needed} tokens. */
    void ensureCapacity(int needed) {
        if (needed <= capacity) return;
        int newCapacity = Math.min(maxLength, Math.max(needed, Math.max(FIRST_CAPACITY, capacity * 2)));
        for (int l = 0; l < keys.length; l++) {
            float[] nk = new float[newCapacity * kvDim], nv = new float[newCapacity * kvDim];
            if (keys[l] != null) {
                System.arraycopy(keys[l], 0, nk, 0, length * kvDim);
                System.arraycopy(values[l], 0, nv, 0, length * kvDim);
            }
            keys[l] = nk;
            values[l] = nv;
        }
        tokens = Arrays.copyOf(tokens, newCapacity);
        capacity = newCapacity;
    }

    /**
     * Writes {@code rows} consecutive tokens' keys and values of one layer, rows [fromRow, fromRow + rows)
     * of the step's [n x kvDim] arrays, at positions position .. position + rows − 1.
     */
    void store(int layer, int position, float[] newKeys, float[] newValues, int fromRow, int rows) {
        System.arraycopy(newKeys, fromRow * kvDim, keys[layer], position * kvDim, rows * kvDim);
        System.arraycopy(newValues, fromRow * kvDim, values[layer], position * kvDim, rows * kvDim);
    }

    /** Counts in {@code n} tokens, ids[from ..], whose keys and values every layer has stored. */
    void append(int[] ids, int from, int n) {
        System.arraycopy(ids, from, tokens, length, n);
        length += n;
    }
}
