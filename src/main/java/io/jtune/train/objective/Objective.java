package io.jtune.train.objective;

import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;

/**
 * A training objective: a differentiable function of what the model's forward pass yields — each
 * label token's log-probability and, when asked for, final hidden states at chosen positions (a value
 * head's input). A stage (pt, sft, dpo, ...) picks one; the trainer runs it through
 * {@link ObjectiveRunner}, which does the forward pass, asks {@link #loss} for the loss and its
 * gradient with respect to those outputs, and hands that gradient to the model's backward pass.
 *
 * <p>Losses are sums over some unit (label tokens, sequences, preference pairs); the trainer divides
 * the loss and the gradient of an accumulation window by the window's total {@link #normaliser},
 * which is why it must be known before the pass.
 */
public interface Objective {
    /** How many units this batch's summed loss covers (label tokens for cross-entropy, pairs for DPO). */
    double normaliser(Batch batch);

    /**
     * How many dataset examples the batch holds, for the samples the trainer counts (train_samples_per_second):
     * one per row by default; a preference pair (dpo) or a KTO example with its KL row spans two rows.
     */
    default int examples(Batch batch) {
        return batch.batchSize();
    }

    /**
     * Called by the runner before the model's pass over {@code batch}: an objective that needs another
     * pass over the same batch (DPO's reference model, which may be the same model with its adapter
     * off) runs it here, where it cannot disturb the activations the training pass keeps for its
     * backward. The default does nothing.
     */
    default void prepare(Batch batch) {}

    /**
     * The temperature the model's logits are divided by before the log-softmax that gives {@link #loss}
     * its log-probabilities. 1 (the default) for every stage but the online RL ones, which train on the
     * distribution their completions were sampled from: TRL's GRPOTrainer and PPOTrainer divide by the
     * sampling temperature.
     */
    default float logitTemperature() {
        return 1f;
    }

    /** Flat token positions whose final hidden state {@link #loss} needs, or null (the default: none). */
    default int[] hiddenPositions(Batch batch) {
        return null;
    }

    /**
     * For a loss Σ_t w_t·(−log p_t) whose weights are known before the pass (cross-entropy), the
     * weights w_t: the runner then fuses forward and backward into one pass over the LM head, which
     * otherwise runs twice. Null (the default) for a loss whose gradient depends on the pass.
     * {@link #loss}'s gradient must agree with these weights.
     */
    default float[] fixedTokenWeights(Batch batch) {
        return null;
    }

    /** The summed loss of one pass, its metrics and its gradient with respect to the pass's outputs. */
    Loss loss(ForwardOutput out);
}
