package io.jtune.train.optim;

import java.util.Map;

/** Updates a flat fp32 parameter array in place from its gradient array. */
public interface Optimizer {
    /** One update with the given learning rate (schedulers choose it per step). */
    void step(double lr);

    /** Updates applied so far. */
    long steps();

    /**
     * The optimizer's state arrays by name (AdamW: exp_avg, exp_avg_sq), the live arrays: a checkpoint
     * saves them and a resume fills them in place before calling {@link #restoreSteps}.
     */
    Map<String, float[]> state();

    /** Sets the update count after the state was loaded from a checkpoint. */
    void restoreSteps(long steps);
}
