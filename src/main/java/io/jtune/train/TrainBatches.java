package io.jtune.train;

import io.jtune.model.Batch;

/**
 * The training data as the loop sees it: the micro-batches of each epoch in a fixed order. The
 * order of an epoch depends only on the seed and the epoch number, never on what ran before, so a
 * resumed run gets exactly the batches an uninterrupted one would have got.
 */
public interface TrainBatches {
    /** Micro-batches in one epoch (the same for every epoch). */
    int batchesPerEpoch();

    /** Micro-batch {@code index} of epoch {@code epoch}, padded and ready for the model. */
    Batch batch(int epoch, int index);

}
