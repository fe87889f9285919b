package io.jtune.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads a LLaMA-Factory style config: a YAML or JSON file, then {@code key=value} overrides (values
 * read as YAML scalars, as OmegaConf.from_cli does), checked against {@link ConfigKeys}.
 * Every error names the file (or the override) and the key, and says what is allowed.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * Old names still found in LLaMA-Factory configs: read as the new key, with a warning.
     * evaluation_strategy was transformers' name for eval_strategy until 4.41.
     */
    private static final Map<String, String> RENAMED = Map.of("evaluation_strategy", "eval_strategy");

    /** Far above any real config (LLaMA-Factory's are a few KiB), far below what takes long to parse. */
    static final long MAX_CONFIG_BYTES = 1 << 20;

    private ConfigLoader() {}

    /** Loads {@code file} (YAML, or JSON when it ends in .json) and applies the overrides in order. */
    public static JtuneConfig load(Path file, List<String> overrides) {
        String source = file.toString();
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new JtuneException("config file " + source + " is " + size + " bytes; a config is at most "
                        + MAX_CONFIG_BYTES / 1024 + " KiB (is this the right file?)");
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new JtuneException("config file not found: " + source);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new JtuneException("config file " + source + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new JtuneException("cannot read config file " + source + ": " + e.getMessage(), e);
        }
        return fromText(source, text, file.toAbsolutePath().getParent(), overrides);
    }

    /**
     * A config file's text read elsewhere (a Spark driver ships it to its workers): JSON when
     * {@code source} ends in .json, else YAML; relative file references resolve against {@code configDir}.
     */
    public static JtuneConfig fromText(String source, String text, Path configDir, List<String> overrides) {
        boolean json = source.toLowerCase(java.util.Locale.ROOT).endsWith(".json");
        List<RawEntry> entries = parse(source, text, json ? JSON : YAML);
        return resolve(source, configDir, entries, overrides);
    }

    /** Builds a config from values already in memory (the Java API), with the same checks as a file. */
    public static JtuneConfig fromMap(String sourceName, Map<String, ?> values, List<String> overrides) {
        ObjectNode root = JSON.valueToTree(values);
        List<RawEntry> entries = new ArrayList<>();
        root.fields().forEachRemaining(e -> entries.add(new RawEntry(e.getKey(), e.getValue(), sourceName)));
        return resolve(sourceName, null, entries, overrides);
    }

    /** One key as written, with where it was written (for messages). */
    record RawEntry(String key, JsonNode value, String origin) {}

    private static List<RawEntry> parse(String source, String text, ObjectMapper mapper) {
        JsonNode root;
        Map<String, Integer> yamlLines = null;
        try {
            if (mapper == YAML) {
                YamlTree.Result r = YamlTree.read((YAMLFactory) YAML.getFactory(), text);
                root = r.root();
                yamlLines = r.keyLines();
            } else {
                root = mapper.readTree(text);
            }
        } catch (JsonProcessingException e) {
            throw new JtuneException(source + ": " + where(e.getLocation()) + "syntax error: " + firstLine(e.getOriginalMessage()), e);
        } catch (YamlTree.Invalid e) {
            throw new JtuneException(source + ": " + where(e.location) + e.getMessage(), e);
        } catch (IOException e) {
            throw new JtuneException(source + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return List.of(); // an empty file: every key at its default
        }
        if (!root.isObject()) {
            throw new JtuneException(source + ": the config must be a mapping of keys to values (key: value), not "
                    + ConfigValues.describe(root));
        }
        Map<String, Integer> lines = yamlLines != null ? yamlLines : topLevelKeyLines(text, mapper);
        List<RawEntry> entries = new ArrayList<>();
        root.fields().forEachRemaining(e -> {
            Integer line = lines.get(e.getKey());
            entries.add(new RawEntry(e.getKey(), e.getValue(), source + (line != null ? ": line " + line : "")));
        });
        return entries;
    }

    /** The line of each top-level key, found by streaming the text a second time (trees forget locations). */
    private static Map<String, Integer> topLevelKeyLines(String text, ObjectMapper mapper) {
        Map<String, Integer> lines = new LinkedHashMap<>();
        try (JsonParser p = mapper.getFactory().createParser(text)) {
            int depth = 0;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME -> {
                        if (depth == 1) {
                            lines.putIfAbsent(p.currentName(), p.currentTokenLocation().getLineNr());
                        }
                    }
                    default -> { }
                }
            }
        } catch (IOException e) {
            // the tree parse already succeeded; without lines the messages just name the file
        }
        return lines;
    }

    private static String where(JsonLocation loc) {
        if (loc == null || loc.getLineNr() <= 0) {
            return "";
        }
        return "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
    }

    /**
     * SnakeYAML's messages span several lines (context, an echo of the source with a caret, the
     * problem); keep the sentences, drop the echo, so the CLI can print one line.
     */
    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        List<String> parts = new ArrayList<>();
        for (String line : io.jtune.data.source.DataFiles.withoutJacksonNames(message).split("\n")) {
            String t = line.trim();
            if (t.isEmpty() || line.startsWith(" ") || t.startsWith("in 'reader'") || t.equals("^")) {
                continue;
            }
            parts.add(t);
        }
        return parts.isEmpty() ? message.trim() : String.join("; ", parts);
    }

    /** Parses "key=value" the way OmegaConf.from_cli does: the value is a YAML scalar (or flow list/map). */
    static RawEntry parseOverride(String source, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new JtuneException(source + ": override '" + override + "' must look like key=value (e.g. learning_rate=1e-4)");
        }
        String key = override.substring(0, eq).trim();
        String valueText = override.substring(eq + 1);
        JsonNode value;
        if (valueText.isBlank()) {
            value = TextNode.valueOf("");
        } else {
            try {
                value = YAML.readTree(valueText);
                if (value == null || value.isMissingNode()) {
                    value = JsonNodeFactory.instance.nullNode();
                }
            } catch (JsonProcessingException e) {
                value = TextNode.valueOf(valueText); // not YAML: take it as the plain string it looks like
            }
            // "default_system=Answer: briefly" reads as a YAML mapping; a text key takes the text as written.
            KeyType type = ConfigKeys.find(key).map(ConfigKey::type).orElse(null);
            if (value.isContainerNode() && (type == KeyType.STRING || type == KeyType.CHOICE)) {
                value = TextNode.valueOf(valueText);
            }
        }
        return new RawEntry(key, value, source + ": override '" + override + "'");
    }

    private static JtuneConfig resolve(String source, Path configDir, List<RawEntry> fileEntries, List<String> overrides) {
        List<String> warnings = new ArrayList<>();
        Map<String, RawEntry> entries = new LinkedHashMap<>();
        for (RawEntry e : fileEntries) {
            RawEntry renamed = renamed(e, warnings);
            if (entries.containsKey(renamed.key())) { // only possible when one of the two is an old name
                String old = RENAMED.entrySet().stream().filter(r -> r.getValue().equals(renamed.key()))
                        .map(Map.Entry::getKey).findFirst().orElseThrow();
                throw new JtuneException(e.origin() + ": " + old + " and " + renamed.key() + " are the same key; keep only "
                        + renamed.key());
            }
            entries.put(renamed.key(), renamed);
        }
        for (String o : Objects.requireNonNullElse(overrides, List.<String>of())) {
            RawEntry e = renamed(parseOverride(source, o), warnings);
            entries.remove(e.key()); // an override moves to the end, where it was given
            entries.put(e.key(), e);
        }

        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        for (RawEntry e : entries.values()) {
            ConfigKey key = ConfigKeys.find(e.key()).orElseThrow(() -> unknownKey(e));
            values.put(key.name(), checked(key, e, warnings));
            origins.put(key.name(), e.origin());
        }
        for (ConfigKey key : ConfigKeys.all()) {
            values.putIfAbsent(key.name(), key.defaultValue());
        }
        return new JtuneConfig(source, configDir, values, origins, warnings);
    }

    private static RawEntry renamed(RawEntry e, List<String> warnings) {
        String newName = RENAMED.get(e.key());
        if (newName == null) {
            return e;
        }
        warnings.add(e.key() + " is the old name of " + newName + "; read as " + newName);
        return new RawEntry(newName, e.value(), e.origin());
    }

    private static JtuneException unknownKey(RawEntry e) {
        String hint = ConfigKeys.closest(e.key())
                .map(k -> "did you mean " + k + "?")
                .orElse("see `jtune config keys` or docs/config.md for the keys jtune knows");
        return new JtuneException(e.origin() + ": unknown key '" + e.key() + "'; " + hint);
    }

    /** Coerces one value and applies the key's support status: error, warning, or nothing. */
    private static Object checked(ConfigKey key, RawEntry e, List<String> warnings) {
        Object value;
        try {
            value = ConfigValues.coerce(key, e.value());
        } catch (ConfigValues.InvalidValue bad) {
            if (key.support() == Support.UNSUPPORTED) {
                throw notSupported(e, key.name(), key.reason());
            }
            throw new JtuneException(e.origin() + ": key '" + key.name() + "': " + bad.getMessage());
        }
        boolean isDefault = Objects.equals(value, key.defaultValue());
        if (!isDefault && key.support() == Support.UNSUPPORTED) {
            throw notSupported(e, key.name(), key.reason());
        }
        if (!isDefault && key.support() == Support.IGNORED_WITH_WARNING) {
            warnings.add(key.name() + " = " + ValueText.of(value) + " is ignored: " + key.reason());
        }
        for (String item : valuesOf(value)) {
            ConfigKey.ValueSupport vs = key.valueSupport().get(item);
            if (vs == null) {
                continue;
            }
            if (vs.support() == Support.UNSUPPORTED) {
                throw new JtuneException(e.origin() + ": " + key.name() + " = " + item + " is not supported yet by jtune: "
                        + vs.reason() + "; supported: " + String.join(", ", key.supportedChoices()));
            }
            warnings.add(key.name() + " = " + item + " is ignored: " + vs.reason());
        }
        return value;
    }

    private static List<String> valuesOf(Object value) {
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.of();
    }

    private static JtuneException notSupported(RawEntry e, String key, String reason) {
        return new JtuneException(e.origin() + ": " + key + " is not supported yet by jtune: " + reason
                + " (remove the key or set it to its default)");
    }
}
