package io.jtune.nn;

/**
 * Inverted dropout with a stateless mask: element i of call {@code seed} is kept when a hash of
 * (seed, i) falls above p. Backward regenerates the same mask instead of storing it, and the
 * mask does not depend on how work is split over threads.
 */
public final class Dropout {
    private Dropout() {}

    static boolean keep(long seed, int i, float p) {
        long z = seed + (i + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        double uniform = (z >>> 11) * 0x1.0p-53;
        return uniform >= p;
    }

    /** out[i] = keep ? x[i] / (1 − p) : 0. */
    public static void forward(float[] x, float[] out, int n, float p, long seed) {
        float s = 1f / (1f - p);
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                out[i] = keep(seed, i, p) ? x[i] * s : 0f;
            }
        });
    }

    /** dx[i] += keep ? dOut[i] / (1 − p) : 0. */
    public static void backward(float[] dOut, float[] dx, int n, float p, long seed) {
        float s = 1f / (1f - p);
        int chunks = ParallelTasks.chunks(n, 1 << 14);
        ParallelTasks.forEach(chunks, c -> {
            for (int i = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks); i < hi; i++) {
                if (keep(seed, i, p)) dx[i] += dOut[i] * s;
            }
        });
    }
}
