package io.jtune.train.objective;

import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.ForwardOutput;
import io.jtune.model.LoraAdapter;

/**
 * Runs an {@link Objective} on a model: the forward pass, the loss, and the backward pass of the
 * loss's gradient scaled by gradScale. An objective with fixed token weights gets the fused
 * single-pass LM head; any other runs forward, computes its gradient from the outputs, then backward.
 */
public final class ObjectiveRunner {
    private final CausalLM model;
    private final LoraAdapter adapter;
    private final Objective objective;

    /** Runs with the model's own adapter (the one it trains), if any. */
    public ObjectiveRunner(CausalLM model, Objective objective) {
        this(model, model.adapter(), objective);
    }

    public ObjectiveRunner(CausalLM model, LoraAdapter adapter, Objective objective) {
        this.model = model;
        this.adapter = adapter;
        this.objective = objective;
    }

    public Objective objective() {
        return objective;
    }

    /** A training pass that ADDS gradScale·∂loss/∂θ to the trainable gradients; returns the loss. */
    public Loss train(Batch batch, float gradScale) {
        objective.prepare(batch);
        float[] fixed = objective.fixedTokenWeights(batch);
        if (fixed != null && objective.hiddenPositions(batch) == null) {
            float[] scaled = new float[fixed.length];
            for (int t = 0; t < fixed.length; t++) scaled[t] = fixed[t] * gradScale;
            return objective.loss(model.forwardBackward(batch, adapter, scaled));
        }
        ForwardOutput out = model.forward(batch, adapter, true, objective.hiddenPositions(batch));
        Loss loss = objective.loss(out);
        model.backward(out, scale(loss.dLogProbs(), gradScale), scale(loss.dHidden(), gradScale));
        if (loss.ownGradients() != null) loss.ownGradients().add(gradScale);
        return loss;
    }

    /** An evaluation pass (no dropout, no gradients). */
    public Loss evaluate(Batch batch) {
        objective.prepare(batch);
        return objective.loss(model.forward(batch, adapter, false, objective.hiddenPositions(batch)));
    }

    private static float[] scale(float[] g, float s) {
        if (g == null) return null;
        float[] out = new float[g.length];
        for (int i = 0; i < g.length; i++) out[i] = g[i] * s;
        return out;
    }
}
