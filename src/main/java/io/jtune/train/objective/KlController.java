package io.jtune.train.objective;

/**
 * PPO's KL coefficient (TRL's AdaptiveKLController, after Ziegler et al. 2019): starts at init_kl_coef and
 * after each rollout batch moves towards the KL target: coef ← coef · (1 + clip(kl / target − 1, ±0.2) · n / horizon),
 * n being the batch's rollouts. Without a target (FixedKLController) it stays where it started.
 */
public final class KlController {
    private final Double target;   // null: fixed
    private final double horizon;
    private double value;

    public KlController(double initKlCoef, Double target, double horizon) {
        this.value = initKlCoef;
        this.target = target;
        this.horizon = horizon;
    }

    /** The coefficient now. */
    public double value() {
        return value;
    }

    /** Adapts the coefficient to the mean KL {@code kl} of a batch of {@code rollouts} rollouts. */
    public void update(double kl, int rollouts) {
        if (target == null) return;
        double error = Math.min(Math.max(kl / target - 1, -0.2), 0.2);
        value *= 1 + error * rollouts / horizon;
    }
}
