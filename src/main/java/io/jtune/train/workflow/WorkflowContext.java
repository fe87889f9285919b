package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;
import io.jtune.train.DataParallel;
import io.jtune.train.TrainerListener;
import io.jtune.train.reward.RewardFunction;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * What every stage's run is given: the config, where to print progress, the switch a stop request
 * arrives on, the caller's own listeners (progress bar, web UI), and the workers this process trains
 * with ({@link DataParallel#SINGLE} on one machine).
 */
record WorkflowContext(JtuneConfig config, PrintStream log, StopSwitch stop, List<TrainerListener> listeners,
                       Map<String, RewardFunction> rewardFunctions, DataParallel group) {
    WorkflowContext {
        listeners = List.copyOf(listeners);
        rewardFunctions = Map.copyOf(rewardFunctions);
    }

    /** A context of one process training alone. */
    WorkflowContext(JtuneConfig config, PrintStream log, StopSwitch stop, List<TrainerListener> listeners,
                    Map<String, RewardFunction> rewardFunctions) {
        this(config, log, stop, listeners, rewardFunctions, DataParallel.SINGLE);
    }

    /** A context without Java reward functions (every stage but grpo). */
    WorkflowContext(JtuneConfig config, PrintStream log, StopSwitch stop, List<TrainerListener> listeners) {
        this(config, log, stop, listeners, Map.of());
    }
}
