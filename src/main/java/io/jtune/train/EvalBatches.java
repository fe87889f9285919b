package io.jtune.train;

import io.jtune.model.Batch;
import java.util.List;

/**
 * The batches of one evaluation, made when the evaluation starts: a fixed list for a dataset's
 * examples, or — for an online stage (grpo, ppo) — completions of the held-out prompts sampled with
 * the weights of that moment and scored, which the objective then reads as it reads training rollouts.
 */
public interface EvalBatches {
    /** Whether there is nothing to evaluate (no evaluation data). */
    boolean isEmpty();

    /** The batches of one evaluation. */
    List<Batch> make();

    /** Called when an evaluation is done with the batches {@link #make} gave, so that what they hold can be let go. */
    default void release(List<Batch> batches) {}

    /** A fixed list of batches, evaluated as they are each time. */
    static EvalBatches of(List<Batch> batches) {
        List<Batch> fixed = List.copyOf(batches);
        return new EvalBatches() {
            @Override
            public boolean isEmpty() {
                return fixed.isEmpty();
            }

            @Override
            public List<Batch> make() {
                return fixed;
            }
        };
    }
}
