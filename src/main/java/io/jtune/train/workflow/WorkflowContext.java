package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;
import io.jtune.train.TrainerListener;
import java.io.PrintStream;
import java.util.List;

/**
 * What every stage's run is given: the config, where to print progress, the switch a stop request
 * arrives on, and the caller's own listeners (progress bar, web UI).
 */
record WorkflowContext(JtuneConfig config, PrintStream log, StopSwitch stop, List<TrainerListener> listeners) {
    WorkflowContext {
        listeners = List.copyOf(listeners);
    }
}
