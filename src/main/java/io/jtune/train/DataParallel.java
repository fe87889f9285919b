package io.jtune.train;

import java.util.List;

/**
 * The workers of a data-parallel run as the trainer sees them: each worker trains its own share of
 * every optimizer step's micro-batches, and between the backward passes and the optimizer step the
 * workers exchange what the step needs. On one machine there is one worker and both exchanges are
 * the identity ({@link #SINGLE}); the Spark module implements them over sockets between barrier tasks.
 *
 * <p>Every worker checks output_dir as one machine does, so it must exist before the workers start
 * (the Spark driver creates it); otherwise one worker's check could remove the folder another is probing.
 *
 * <p>Both exchanges combine in rank order, so that every worker ends a step with the same bits and a
 * run over N workers reduces exactly as one machine would walk the same micro-batches.
 */
public interface DataParallel {
    /** One process trains alone: rank 0 of 1, and nothing to exchange. */
    DataParallel SINGLE = new DataParallel() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }

        @Override
        public List<byte[]> allGather(byte[] mine) {
            return List.of(mine);
        }

        @Override
        public void allReduceSum(float[] values) {}
    };

    /** This worker's position, 0 to worldSize - 1; its share of each step's micro-batches follows it. */
    int rank();

    int worldSize();

    /** Rank 0 alone writes logs, checkpoints and outputs; the others only train. */
    default boolean writesOutputs() {
        return rank() == 0;
    }

    /** Every worker's small payload (counts, loss sums, metrics of a step), in rank order, on every worker. */
    List<byte[]> allGather(byte[] mine);

    /**
     * Replaces {@code values} on every worker with the sum of all workers' values, added in rank order
     * ({@code ((v0 + v1) + v2) + ...}), so that every worker holds the same bits.
     */
    void allReduceSum(float[] values);
}
