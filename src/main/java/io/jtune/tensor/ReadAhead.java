package io.jtune.tensor;

/**
 * Plain loads used as prefetches by the decode kernels that read weights from memory: Java has no
 * prefetch instruction. In such a loop every multiplication waits on its own weight load, so after
 * a few cache misses the core's scheduler is probably full of waiting work and asks for no further
 * lines: the reads and the arithmetic take turns instead of overlapping. One extra load per step of
 * a word in a line the loop will need a little later, with almost nothing waiting on it, asks for
 * that line early, and the loop finds it in the cache when it gets there.
 *
 * <p>The JIT drops a load whose value is never used, so a loop xors the words it reads ahead and
 * hands the result to {@link #keep}. That stores it only when it has one particular value: a store
 * on every call would have the kernel threads write one shared cache line over and over.
 */
final class ReadAhead {
    /** Bytes in a cache line: one word read per line is enough to bring the line in. */
    static final int LINE = 64;

    @SuppressWarnings("unused")
    private static int sink;

    private ReadAhead() {}

    /**
     * The first of the four rows a fused loop over rows r .. r+3 reads ahead into: r + 4, or the last
     * four rows of the matrix where fewer follow (the loop then re-reads its own, harmlessly).
     */
    static int nextFour(int r, int rows) {
        return Math.max(0, Math.min(r + 4, rows - 4));
    }

    /** Keeps the loads whose words were xor-ed into {@code words}. */
    static void keep(int words) {
        if (words == 0x5EED5EED) sink = words;
    }
}
