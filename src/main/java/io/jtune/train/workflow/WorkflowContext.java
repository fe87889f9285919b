package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;
import io.jtune.train.TrainerListener;
import io.jtune.train.reward.RewardFunction;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * What every stage's run is given: the config, where to print progress, the switch a stop request
 * arrives on, and the caller's own listeners (progress bar, web UI).
 */
record WorkflowContext(JtuneConfig config, PrintStream log, StopSwitch stop, List<TrainerListener> listeners,
                       Map<String, RewardFunction> rewardFunctions) {
    WorkflowContext {
        listeners = List.copyOf(listeners);
        rewardFunctions = Map.copyOf(rewardFunctions);
    }

    /** A context without Java reward functions (every stage but grpo). */
    WorkflowContext(JtuneConfig config, PrintStream log, StopSwitch stop, List<TrainerListener> listeners) {
        this(config, log, stop, listeners, Map.of());
    }
}
