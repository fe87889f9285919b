package io.jtune.config;

import java.util.ArrayList;
import java.util.List;

/** Helpers that make the key tables read like LLaMA-Factory's dataclasses: one line per key. */
abstract class KeyTable {
    private final Group group;
    private final List<ConfigKey.Builder> builders = new ArrayList<>();

    KeyTable(Group group) {
        this.group = group;
    }

    final List<ConfigKey> keys() {
        return builders.stream().map(b -> b.build(group)).toList();
    }

    private ConfigKey.Builder add(String name, KeyType type, Object def, String help) {
        ConfigKey.Builder b = ConfigKey.builder(name, type).def(def).help(help);
        builders.add(b);
        return b;
    }

    final ConfigKey.Builder str(String name, String def, String help) {
        return add(name, KeyType.STRING, def, help);
    }

    final ConfigKey.Builder integer(String name, Integer def, String help) {
        return add(name, KeyType.INT, def == null ? null : Long.valueOf(def), help);
    }

    final ConfigKey.Builder real(String name, Double def, String help) {
        return add(name, KeyType.FLOAT, def, help);
    }

    final ConfigKey.Builder bool(String name, Boolean def, String help) {
        return add(name, KeyType.BOOL, def, help);
    }

    final ConfigKey.Builder choice(String name, String def, String help, String... choices) {
        return add(name, KeyType.CHOICE, def, help).choices(choices);
    }

    /** A comma-separated list; the default is kept as the string LLaMA-Factory declares (e.g. "all"). */
    final ConfigKey.Builder list(String name, String def, String help) {
        return add(name, KeyType.LIST, def == null ? null : ConfigValues.splitList(def), help);
    }

    final ConfigKey.Builder map(String name, String help) {
        return add(name, KeyType.MAP, null, help);
    }

    final ConfigKey.Builder any(String name, String help) {
        return add(name, KeyType.ANY, null, help);
    }

    // Reasons shared by many keys, so that the docs say the same thing the same way.
    static final String TEXT_ONLY = "jtune trains text-only models, so image, video and audio settings have nothing to act on";
    static final String DISTRIBUTED_BY_SPARK = "read by jtune-spark's SparkTrain, which trains over Spark barrier tasks"
            + " (docs/distributed.md); a single process has no workers to use it for";
    static final String SINGLE_PROCESS = "jtune trains in one process on one machine; distributed settings have nothing to act on";
    static final String SPEED_ONLY = "a speed or memory switch of the PyTorch stack; jtune's own kernels compute the same result";
    static final String HUB = "jtune reads and writes local directories only; pushing to or reading from a hub is not implemented";
}
