package io.jtune.cli;

import io.jtune.config.ConfigDocs;
import io.jtune.config.Group;
import picocli.CommandLine;

/**
 * Adds the supported configuration keys to a command's --help, from the same definitions the parser
 * uses. A command that takes a config names it in its annotation:
 * {@code @Command(name = "train", modelTransformer = ConfigKeysFooter.AllGroups.class)}.
 */
public final class ConfigKeysFooter {
    private ConfigKeysFooter() {}

    /** Appends the key tables of the given groups to the command's usage footer. */
    public static CommandLine.Model.CommandSpec install(CommandLine.Model.CommandSpec spec, Group... groups) {
        String[] existing = spec.usageMessage().footer();
        String table = "%nConfiguration keys, in the YAML/JSON file or as key=value%n"
                + "(`jtune config keys --all` lists every key; docs/config.md explains each):%n%n" + ConfigDocs.helpTable(false, groups).replace("%", "%%");
        String[] footer = java.util.Arrays.copyOf(existing, existing.length + 1);
        footer[existing.length] = table;
        spec.usageMessage().footer(footer);
        return spec;
    }

    /** Every group: for train and config check. */
    public static final class AllGroups implements CommandLine.IModelTransformer {
        @Override
        public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec spec) {
            return install(spec, Group.values());
        }
    }

    /** Model, data, finetuning and generating: for chat, api and export style commands. */
    public static final class InferenceGroups implements CommandLine.IModelTransformer {
        @Override
        public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec spec) {
            return install(spec, Group.MODEL, Group.DATA, Group.FINETUNING, Group.GENERATING, Group.EXPORT);
        }
    }
}
