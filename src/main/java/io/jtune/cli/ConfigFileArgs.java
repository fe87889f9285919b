package io.jtune.cli;

import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Parameters;

/**
 * The arguments every config-driven command takes, as LLaMA-Factory's CLI does: a YAML or JSON file,
 * then key=value overrides (read as YAML scalars). Commands include it with picocli's {@code @Mixin}.
 */
final class ConfigFileArgs {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "YAML or JSON file with LLaMA-Factory keys")
    Path config;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, read as YAML scalars, e.g. learning_rate=5e-5")
    List<String> overrides = new ArrayList<>();

    /** The file with the overrides applied; bad keys or values end in one JtuneException. */
    JtuneConfig load() {
        return ConfigLoader.load(config, overrides);
    }
}
