package io.jtune.train.objective;

import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.ForwardOutput;
import io.jtune.model.LoraAdapter;

/**
 * Runs an {@link Objective} on a model: the forward pass, the loss, and the backward pass of the
 * loss's gradient scaled by gradScale. An objective with fixed token weights gets the fused
 * single-pass LM head; any other runs forward, computes its gradient from the outputs, then backward.
 * Every pass divides the logits by the objective's {@link Objective#logitTemperature()}.
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
            ForwardOutput out = model.forwardBackward(batch, adapter, scaled, objective.logitTemperature());
            return withRouterAuxLoss(objective.loss(out), out, gradScale);
        }
        ForwardOutput out = model.forward(batch, adapter, true, objective.hiddenPositions(batch), objective.logitTemperature());
        Loss loss = objective.loss(out);
        model.backward(out, scale(loss.dLogProbs(), gradScale), scale(loss.dHidden(), gradScale));
        if (loss.ownGradients() != null) loss.ownGradients().add(gradScale);
        return withRouterAuxLoss(loss, out, gradScale);
    }

    /**
     * A MoE model's router aux loss (moe_aux_loss_coef) joins the reported loss as the HF Trainer
     * reports it: coef · aux of every micro-batch added to the window's mean loss. The window's mean
     * is Σ sums / units and gradScale = 1 / units, so the sum grows by coef · aux / gradScale. The
     * model added its gradient already.
     */
    private Loss withRouterAuxLoss(Loss loss, ForwardOutput out, float gradScale) {
        double coef = model.routerAuxLossCoef();
        if (coef == 0 || out.routerAuxLoss() == 0) return loss;
        return new Loss(loss.sum() + coef * out.routerAuxLoss() / gradScale, loss.metrics(), loss.dLogProbs(), loss.dHidden(),
                loss.ownGradients());
    }

    /** An evaluation pass (no dropout, no gradients). */
    public Loss evaluate(Batch batch) {
        objective.prepare(batch);
        return objective.loss(model.forward(batch, adapter, false, objective.hiddenPositions(batch), objective.logitTemperature()));
    }

    private static float[] scale(float[] g, float s) {
        if (g == null) return null;
        float[] out = new float[g.length];
        for (int i = 0; i < g.length; i++) out[i] = g[i] * s;
        return out;
    }
}
