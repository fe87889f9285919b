package io.jtune.train.optim;

import io.jtune.nn.ParallelTasks;
import java.util.List;

/** Splits parameter groups into fixed chunks so fused updates run in parallel, deterministically. */
final class FlatRanges {
    interface RangeUpdate {
        void apply(int from, int to, ParamGroup group);
    }

    private static final int CHUNK = 1 << 15;

    private FlatRanges() {}

    static void forEach(List<ParamGroup> groups, RangeUpdate update) {
        for (ParamGroup g : groups) {
            int chunks = (g.length() + CHUNK - 1) / CHUNK;
            ParallelTasks.forEach(chunks, c -> {
                int from = g.offset() + c * CHUNK;
                update.apply(from, Math.min(g.offset() + g.length(), from + CHUNK), g);
            });
        }
    }

    static void check(float[] params, float[] grads, List<ParamGroup> groups) {
        if (params.length != grads.length) throw new IllegalArgumentException("parameter and gradient arrays differ in length");
        for (ParamGroup g : groups) {
            if (g.offset() < 0 || g.length() < 0 || g.offset() + g.length() > params.length) {
                throw new IllegalArgumentException("group " + g + " lies outside the " + params.length + " parameters");
            }
        }
    }
}
