package io.jtune.train.optim;

import java.util.List;

/**
 * AdamW with torch.optim.AdamW's semantics (HF's adamw_torch): decoupled weight decay applied as
 * p ← p·(1 − lr·wd) before the Adam update, moments m ← m + (1−β₁)(g − m), v ← β₂v + (1−β₂)g²,
 * and bias correction p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε). State is fp32, one fused
 * pass over the flat arrays.
 */
public final class AdamW implements Optimizer {
    private final float[] params, grads, m, v;
    private final List<ParamGroup> groups;
    private final double beta1, beta2, eps;
    private long step;

    public AdamW(float[] params, float[] grads, List<ParamGroup> groups, double beta1, double beta2, double eps) {
        FlatRanges.check(params, grads, groups);
        this.params = params;
        this.grads = grads;
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = new float[params.length];
        this.v = new float[params.length];
    }

    /** HF's defaults: β = (0.9, 0.999), ε = 1e-8. */
    public static AdamW withDefaults(float[] params, float[] grads, List<ParamGroup> groups) {
        return new AdamW(params, grads, groups, 0.9, 0.999, 1e-8);
    }

    @Override
    public void step(double lr) {
        step++;
        // Scalars rounded to fp32 from double, as torch passes Python floats to fp32 kernels.
        float c1 = (float) (1 - beta1), b2 = (float) beta2, c2 = (float) (1 - beta2), e = (float) eps;
        double correction1 = 1 - StrictMath.pow(beta1, step);
        float correction2Sqrt = (float) Math.sqrt(1 - StrictMath.pow(beta2, step));
        FlatRanges.forEach(groups, (from, to, group) -> {
            double groupLr = lr * group.lrScale();   // each group's own lr (LoRA+), scheduled in proportion
            float stepSize = (float) (groupLr / correction1);
            float decay = (float) (1 - groupLr * group.weightDecay());
            for (int i = from; i < to; i++) {
                float g = grads[i];
                float p = params[i] * decay;
                float mi = m[i] + c1 * (g - m[i]);
                float vi = b2 * v[i] + c2 * g * g;
                m[i] = mi;
                v[i] = vi;
                params[i] = p - stepSize * (mi / ((float) Math.sqrt(vi) / correction2Sqrt + e));
            }
        });
    }

    @Override
    public long steps() {
        return step;
    }

    /** First and second moment arrays (for checkpoints). */
    public float[] firstMoment() { return m; }
    public float[] secondMoment() { return v; }

    @Override
    public java.util.Map<String, float[]> state() {
        return java.util.Map.of("exp_avg", m, "exp_avg_sq", v);
    }

    @Override
    public void restoreSteps(long steps) { this.step = steps; }
}
