package io.jtune.nn;

import io.jtune.JtuneException;
import io.jtune.tensor.Matrix;

/** Token embedding: a row lookup forward, a row scatter-add backward (only when the table trains). */
public final class Embedding {
    private Embedding() {}

    /** out[t] = table[ids[t]] for t < n; ids outside the vocabulary are a user error. */
    public static void forward(Matrix table, int[] ids, float[] out, int n) {
        int vocab = table.rows(), dim = table.cols();
        for (int t = 0; t < n; t++) {
            if (ids[t] < 0 || ids[t] >= vocab) {
                throw new JtuneException("token id " + ids[t] + " at position " + t
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int chunks = ParallelTasks.rowChunks(n, dim);
        ParallelTasks.forEach(chunks, c -> {
            for (int t = n * c / chunks, hi = n * (c + 1) / chunks; t < hi; t++) {
                table.readRow(ids[t], 0, dim, out, t * dim);
            }
        });
    }

    /**
     * dTable[ids[t]] += dOut[t]. Tokens repeat, so rows collide: tasks split the columns and each
     * walks all tokens in order, which keeps the sums in a fixed order.
     */
    public static void backward(int[] ids, float[] dOut, float[] dTable, int tableOff, int n, int dim) {
        int chunks = ParallelTasks.rowChunks(dim, n);
        ParallelTasks.forEach(chunks, c -> {
            int lo = dim * c / chunks, hi = dim * (c + 1) / chunks;
            for (int t = 0; t < n; t++) {
                int src = t * dim, dst = tableOff + ids[t] * dim;
                for (int i = lo; i < hi; i++) dTable[dst + i] += dOut[src + i];
            }
        });
    }
}
