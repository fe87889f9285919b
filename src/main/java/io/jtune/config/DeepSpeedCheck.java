package io.jtune.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a config's {@code deepspeed} setting may be ignored. DeepSpeed ZeRO shards
 * optimizer state, gradients and weights across GPUs without changing the update, so on one process
 * it has nothing to do; LLaMA-Factory's DeepSpeed files (examples/deepspeed) hold only ZeRO settings
 * and "auto" values, which take the optimizer, precision, batch size and clipping from the config's
 * own keys. A file that sets any of those itself would train differently, so it is an error.
 */
final class DeepSpeedCheck {
    /** Top-level sections about sharding, communication and logging only. */
    private static final Set<String> SHARDING_ONLY = Set.of("zero_optimization", "zero_allow_untested_optimizer",
            "zero_force_ds_cpu_optimizer", "tensor_parallel", "steps_per_print", "wall_clock_breakdown",
            "communication_data_type", "comms_config", "monitor_config", "flops_profiler");
    /** Settings LLaMA-Factory leaves to the config's keys with "auto". */
    private static final Set<String> MUST_BE_AUTO = Set.of("train_batch_size", "train_micro_batch_size_per_gpu",
            "gradient_accumulation_steps", "gradient_clipping");

    private DeepSpeedCheck() {}

    /** What was found: settings that would change training (empty = safe to ignore) and a note for the warning. */
    record Finding(List<String> problems, String note) {}

    static Finding inspect(Object value, Path configDir) {
        JsonNode ds;
        String name;
        if (value instanceof Map<?, ?> map) {
            ds = new ObjectMapper().valueToTree(map);
            name = "the deepspeed mapping";
        } else {
            Path file = locate(String.valueOf(value), configDir);
            if (file == null) {
                return new Finding(List.of(), "the file " + value + " was not found, so its settings could not be checked");
            }
            name = file.toString();
            try {
                ds = new ObjectMapper().readTree(file.toFile());
            } catch (IOException e) {
                return new Finding(List.of(name + " is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")"), "");
            }
        }
        List<String> problems = new ArrayList<>();
        if (!ds.isObject()) {
            problems.add(name + " is not a JSON object");
            return new Finding(problems, "");
        }
        ds.fields().forEachRemaining(e -> {
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (SHARDING_ONLY.contains(key) || key.startsWith("_")) { // "_comment" and the like are notes
                return;
            }
            if (MUST_BE_AUTO.contains(key)) {
                if (!isAuto(v)) {
                    problems.add(key + " = " + v + " (use \"auto\")");
                }
            } else if (key.equals("fp16") || key.equals("bf16")) {
                JsonNode enabled = v.path("enabled");
                if (!enabled.isMissingNode() && !isAuto(enabled) && !(enabled.isBoolean() && !enabled.asBoolean())) {
                    problems.add(key + ".enabled = " + enabled + " (use \"auto\"; set " + key + " in the config instead)");
                }
            } else {
                problems.add(key + " (jtune takes optimizer, schedule and precision from the config's keys only)");
            }
        });
        return new Finding(problems, "checked " + name + ": ZeRO settings only");
    }

    private static boolean isAuto(JsonNode v) {
        return v.isTextual() && v.asText().equals("auto");
    }

    /** LLaMA-Factory resolves the path from the working directory; jtune also looks beside the config file. */
    private static Path locate(String path, Path configDir) {
        Path p = Path.of(path);
        if (Files.isRegularFile(p)) {
            return p;
        }
        if (configDir != null && !p.isAbsolute() && Files.isRegularFile(configDir.resolve(p))) {
            return configDir.resolve(p);
        }
        return null;
    }
}
