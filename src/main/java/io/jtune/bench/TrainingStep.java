package io.jtune.bench;

/**
 * One training step the step benchmark can time (forward, loss, backward, optimizer update on one
 * batch), built by a {@link TrainingStep.Factory} for a given sequence length. The engine's trainer
 * provides it; the benchmark knows nothing else about the model.
 */
public interface TrainingStep extends AutoCloseable {
    /** Runs one whole step and returns its loss. */
    double step();

    /** Tokens the step trains on (batch x sequence length). */
    int tokensPerStep();

    /** The step's model FLOPs (see {@link StepFlops}), for MFU. */
    double flopsPerStep();

    @Override
    default void close() {}

    /** Builds steps of one model setup (architecture, fine-tuning type, weight dtype). */
    interface Factory {
        /** A short name for the table, e.g. "Qwen2.5-0.5B LoRA r8 (bf16 frozen)". */
        String name();

        /** A ready step at {@code seq} tokens: model built, buffers planned, batch made. */
        TrainingStep create(int seq);
    }
}
