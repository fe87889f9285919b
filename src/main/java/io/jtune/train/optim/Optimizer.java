package io.jtune.train.optim;

/** Updates a flat fp32 parameter array in place from its gradient array. */
public interface Optimizer {
    /** One update with the given learning rate (schedulers choose it per step). */
    void step(double lr);

    /** Updates applied so far. */
    long steps();
}
