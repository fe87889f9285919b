package io.jtune.train.workflow;

import io.jtune.train.Trainer;

/**
 * Carries a stop request (Ctrl-C, the web UI's Abort) from any thread to the trainer that is running.
 * A request while no trainer runs (the model still loading) does nothing; the web UI repeats its
 * request when training begins.
 */
final class StopSwitch {
    private volatile Trainer running;

    void requestStop() {
        Trainer t = running;
        if (t != null) t.requestStop();
    }

    /** Runs the trainer with stop requests forwarded to it while it runs. */
    io.jtune.train.TrainOutcome run(Trainer trainer) throws java.io.IOException {
        running = trainer;
        try {
            return trainer.run();
        } finally {
            running = null;
        }
    }
}
