package io.jtune.train.optim;

import java.util.List;

/**
 * SGD with torch.optim.SGD's semantics: L2 weight decay added to the gradient (g + wd·p), optional
 * momentum buf ← μ·buf + g (buf = g on the first step), then p ← p − lr·buf.
 */
public final class Sgd implements Optimizer {
    private final float[] params, grads, momentumBuffer;
    private final List<ParamGroup> groups;
    private final double momentum;
    private long step;

    public Sgd(float[] params, float[] grads, List<ParamGroup> groups, double momentum) {
        FlatRanges.check(params, grads, groups);
        this.params = params;
        this.grads = grads;
        this.groups = List.copyOf(groups);
        this.momentum = momentum;
        this.momentumBuffer = momentum != 0 ? new float[params.length] : null;
    }

    @Override
    public void step(double lr) {
        boolean first = step == 0;
        step++;
        float mu = (float) momentum;
        FlatRanges.forEach(groups, (from, to, group) -> {
            float decay = (float) group.weightDecay(), rate = (float) (lr * group.lrScale());
            for (int i = from; i < to; i++) {
                float g = grads[i] + decay * params[i];
                if (momentumBuffer != null) {
                    g = first ? g : mu * momentumBuffer[i] + g;
                    momentumBuffer[i] = g;
                }
                params[i] -= rate * g;
            }
        });
    }

    @Override
    public long steps() {
        return step;
    }

    @Override
    public java.util.Map<String, float[]> state() {
        return momentumBuffer == null ? java.util.Map.of() : java.util.Map.of("momentum_buffer", momentumBuffer);
    }

    @Override
    public void restoreSteps(long steps) { this.step = steps; }
}
