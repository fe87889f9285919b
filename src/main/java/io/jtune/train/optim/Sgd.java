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
        float mu = (float) momentum, rate = (float) lr;
        FlatRanges.forEach(groups, (from, to, wd) -> {
            float decay = (float) wd;
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
}
