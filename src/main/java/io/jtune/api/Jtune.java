package io.jtune.api;

import io.jtune.config.ConfigLoader;
import io.jtune.train.TrainerListener;
import io.jtune.train.reward.RewardFunction;
import io.jtune.train.workflow.TrainWorkflow;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * jtune as a library: the workflow of {@code jtune train} for Java applications, configured with the
 * same LLaMA-Factory keys (see docs/java-api.md for an example). It has a package of its own
 * because it sits on top of everything, while the root package holds what everything sits on
 * ({@code JtuneException}, {@code JtuneVersion}).
 */
public final class Jtune {
    private Jtune() {}

    /** Trains with a YAML or JSON config file plus key=value overrides, as {@code jtune train} does. */
    public static TrainWorkflow.Result train(Path config, String... overrides) throws IOException {
        return new TrainWorkflow(ConfigLoader.load(config, List.of(overrides)), System.out).run(List.of());
    }

    /** Trains with a config given as a map of LLaMA-Factory keys to values. */
    public static TrainWorkflow.Result train(Map<String, ?> config) throws IOException {
        return train(config, System.out, List.of());
    }

    /**
     * Trains with a config map, logging to {@code log} and reporting progress to {@code listeners}
     * (each optimizer step, log line, evaluation and checkpoint).
     */
    public static TrainWorkflow.Result train(Map<String, ?> config, PrintStream log, List<TrainerListener> listeners) throws IOException {
        return new TrainWorkflow(ConfigLoader.fromMap("the config map", config, List.of()), log).run(listeners);
    }

    /**
     * Trains stage grpo with reward functions written in Java: reward_funcs names them by the keys of
     * {@code rewardFunctions} (beside the built-in ones, reward models and URLs; docs/rl.md).
     */
    public static TrainWorkflow.Result train(Map<String, ?> config, Map<String, RewardFunction> rewardFunctions, PrintStream log,
                                             List<TrainerListener> listeners) throws IOException {
        return new TrainWorkflow(ConfigLoader.fromMap("the config map", config, List.of()), log).withRewardFunctions(rewardFunctions)
                .run(listeners);
    }
}
