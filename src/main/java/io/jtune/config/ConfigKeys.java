package io.jtune.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every configuration key jtune knows, in group order: the single source of truth. */
public final class ConfigKeys {
    private static final Map<String, ConfigKey> BY_NAME = build();

    private ConfigKeys() {}

    private static Map<String, ConfigKey> build() {
        Map<String, ConfigKey> map = new LinkedHashMap<>();
        List<ConfigKey> all = new ArrayList<>();
        all.addAll(new ModelKeys().keys());
        all.addAll(new DataKeys().keys());
        all.addAll(new FinetuningKeys().keys());
        all.addAll(new TrainingKeys().keys());
        all.addAll(new GeneratingKeys().keys());
        all.addAll(new ExportKeys().keys());
        for (ConfigKey k : all) {
            if (map.put(k.name(), k) != null) {
                throw new IllegalStateException("configuration key defined twice: " + k.name());
            }
        }
        return Collections.unmodifiableMap(map);
    }

    public static Collection<ConfigKey> all() {
        return BY_NAME.values();
    }

    public static List<ConfigKey> of(Group group) {
        return BY_NAME.values().stream().filter(k -> k.group() == group).toList();
    }

    public static Optional<ConfigKey> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The key, or an error (this is for jtune's own code asking for a key it must know). */
    public static ConfigKey get(String name) {
        ConfigKey k = BY_NAME.get(name);
        if (k == null) {
            throw new IllegalArgumentException("no configuration key named " + name);
        }
        return k;
    }

    /** The known key closest to a misspelt one (Levenshtein distance), if one is reasonably close. */
    public static Optional<String> closest(String misspelt) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : BY_NAME.keySet()) {
            int d = EditDistance.levenshtein(misspelt.toLowerCase(java.util.Locale.ROOT), name);
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        // Beyond about a third of the word, a "suggestion" is noise rather than help.
        int tolerance = Math.max(2, misspelt.length() / 3);
        return bestDistance <= tolerance ? Optional.of(best) : Optional.empty();
    }
}
