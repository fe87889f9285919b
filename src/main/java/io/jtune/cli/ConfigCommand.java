package io.jtune.cli;

import io.jtune.config.ConfigDocs;
import io.jtune.config.ConfigKey;
import io.jtune.config.ConfigKeys;
import io.jtune.config.Group;
import io.jtune.config.JtuneConfig;
import io.jtune.config.Support;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jtune config ...}: check a config, list the keys, regenerate docs/config.md, describe the forms. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Check LLaMA-Factory style configs and list the keys jtune knows.",
        subcommands = {
            ConfigCommand.Check.class,
            ConfigCommand.Keys.class,
            ConfigCommand.Docs.class,
            ConfigCommand.Forms.class
        })
final class ConfigCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "check", mixinStandardHelpOptions = true, modelTransformer = ConfigKeysFooter.AllGroups.class, description = {
            "Validate a config (YAML or JSON) with key=value overrides, and print the resolved values and warnings.",
            "Keys that are set, derived or supported are printed as YAML; the comment says where each value came from."})
    static final class Check implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin ConfigFileArgs configFile;

        @Option(names = "--all", description = "Print every key, including unsupported ones at their defaults.")
        boolean all;

        @Override
        public Integer call() {
            JtuneConfig c = configFile.load();
            PrintWriter out = spec.commandLine().getOut();
            out.printf("# %s: valid (%d keys set, %d warnings)%n", c.source(), c.origins().size(), c.warnings().size());
            for (String w : c.warnings()) {
                out.println("# warning: " + w);
            }
            Map<String, Object> resolved = c.resolvedValues();
            for (Group g : Group.values()) {
                out.println();
                out.println("### " + g.id());
                for (ConfigKey k : ConfigKeys.of(g)) {
                    boolean set = c.isSet(k.name());
                    boolean derived = c.isDerived(k.name());
                    if (!all && !set && !derived && k.support() != Support.SUPPORTED) {
                        continue;
                    }
                    String comment = set ? c.origins().get(k.name()).replaceFirst("^.*?: ", "") : derived ? "derived" : "default";
                    if (set && derived) {
                        comment += ", derived";
                    }
                    out.printf("%s: %s  # %s%n", k.name(), Yaml.scalar(resolved.get(k.name())), comment);
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "keys", description = "List the configuration keys of some groups (default: all) with type, default and meaning.")
    static final class Keys implements Runnable {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "GROUP", arity = "0..*", description = "model, data, finetuning, training, generating, export")
        List<String> groups = new ArrayList<>();

        @Option(names = "--all", description = "Include the keys jtune ignores or does not support yet.")
        boolean all;

        @Override
        public void run() {
            Group[] selected = groups.isEmpty() ? Group.values() : groups.stream().map(Group::byId).toArray(Group[]::new);
            spec.commandLine().getOut().print(ConfigDocs.helpTable(all, selected));
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "docs", description = "Print docs/config.md, the configuration reference (or write it with --output).")
    static final class Docs implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--output", paramLabel = "FILE", description = "Write the reference to FILE (atomically) instead of printing it.")
        Path output;

        @Override
        public Integer call() throws IOException {
            String md = ConfigDocs.markdown();
            if (output == null) {
                spec.commandLine().getOut().print(md);
                spec.commandLine().getOut().flush();
            } else {
                AtomicFiles.writeString(output, md);
                spec.commandLine().getOut().println("wrote " + output);
            }
            return 0;
        }
    }

    @Command(name = "forms", description = "Print a JSON description of every key (for forms such as the web UI).")
    static final class Forms implements Runnable {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().print(ConfigDocs.formsJson());
            spec.commandLine().getOut().flush();
        }
    }

    /** Values as YAML scalars (strings quoted only when YAML would misread them). */
    static final class Yaml {
        private Yaml() {}

        static String scalar(Object v) {
            if (v == null) {
                return "null";
            }
            if (v instanceof String s) {
                boolean plain = s.matches("[A-Za-z_./][A-Za-z0-9_./\\-]*") && !s.matches("(?i)true|false|yes|no|on|off|null|~");
                return plain ? s : "'" + s.replace("'", "''") + "'";
            }
            if (v instanceof List<?> list) {
                return String.join(",", list.stream().map(String::valueOf).toList());
            }
            if (v instanceof Map<?, ?> map) {
                return map.isEmpty() ? "{}" : new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(map).toString();
            }
            if (v instanceof Double d) {
                return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format("%.1f", d) : Double.toString(d).replace("E", "e");
            }
            return v.toString();
        }
    }
}
