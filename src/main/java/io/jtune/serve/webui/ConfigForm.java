package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.config.ConfigKey;
import io.jtune.config.ConfigKeys;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One form of the web UI: a fixed list of configuration keys, described to the page from the key
 * registry (the same definitions the YAML parser and docs/config.md use) and checked on the server
 * key by key, so that each bad value gets its own message next to its input.
 *
 * <p>Checks, in order: the key belongs to this form; the value passes the YAML parser's own check
 * for that key (type, range, choices, support); paths lie under the allowed roots; dataset names
 * exist in dataset_info.json; and finally the whole config passes the parser's cross-key checks.
 */
public final class ConfigForm {
    private static final String SOURCE = "form";

    /** Keys whose value is a local path (model_name_or_path may also be a hub id). */
    private static final Set<String> PATH_KEYS = Set.of("model_name_or_path", "adapter_name_or_path", "dataset_dir",
            "output_dir", "export_dir", "resume_from_checkpoint");
    /**
     * Number keys the page offers as a list, because the parser accepts only these values (LlamaBoard's
     * dropdown: none, 8, 4 bits); "none" is the key's null default.
     */
    private static final Map<String, List<Integer>> OFFERED = Map.of("quantization_bit", List.of(8, 4));
    /** Of those, the ones that must exist before the run starts. */
    private static final Set<String> EXISTING = Set.of("adapter_name_or_path", "dataset_dir");

    private final String id;
    private final List<String> keys;
    private final Map<String, Object> fixed;

    /**
     * @param id    the form's name on the page (train, evaluate, chat, export)
     * @param keys  the keys the user may set, in display order
     * @param fixed values the form always adds (do_train: true ...), not shown as inputs
     */
    public ConfigForm(String id, List<String> keys, Map<String, Object> fixed) {
        for (String k : keys) ConfigKeys.get(k); // a typo here is a programming error: fail at start-up
        this.id = id;
        this.keys = List.copyOf(keys);
        this.fixed = Map.copyOf(fixed);
    }

    public String id() {
        return id;
    }

    public List<String> keys() {
        return keys;
    }

    /** The description the page builds its inputs from: type, default, choices, bounds and help of each key. */
    public ObjectNode describe() {
        ObjectNode form = JsonNodeFactory.instance.objectNode();
        form.put("id", id);
        ArrayNode fields = form.putArray("fields");
        for (String name : keys) {
            ConfigKey k = ConfigKeys.get(name);
            ObjectNode f = fields.addObject();
            f.put("name", k.name());
            f.put("type", k.type().name().toLowerCase(java.util.Locale.ROOT));
            f.put("group", k.group().id());
            f.set("default", Json.MAPPER.valueToTree(k.defaultValue()));
            f.put("help", k.help());
            f.put("path", PATH_KEYS.contains(name));
            if (!k.choices().isEmpty()) {
                f.set("choices", Json.MAPPER.valueToTree(k.choices()));
                f.set("supported_choices", Json.MAPPER.valueToTree(k.supportedChoices()));
            }
            if (OFFERED.containsKey(name)) f.set("offered", Json.MAPPER.valueToTree(OFFERED.get(name)));
            if (k.min() != null) f.put(k.minExclusive() ? "exclusive_min" : "min", k.min());
            if (k.max() != null) f.put("max", k.max());
        }
        return form;
    }

    /**
     * Checks the values a page sent (empty strings and nulls mean "not set") and returns the config
     * they make, paths made absolute.
     *
     * @throws FieldErrors with one message per bad field
     */
    public Checked check(Map<String, ?> submitted, PathGuard paths) {
        FieldErrors.Collector errors = new FieldErrors.Collector();
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, Object> asTyped = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : submitted.entrySet()) {
            String key = e.getKey();
            Object value = e.getValue();
            if (!keys.contains(key)) {
                errors.add(key, "not a field of the " + id + " form");
                continue;
            }
            if (value == null || (value instanceof String s && s.isBlank())) continue;
            if (value instanceof String s) value = s.trim();
            String problem = ownProblem(key, value);
            if (problem != null) {
                errors.add(key, problem);
                continue;
            }
            if (key.equals("template") && !Templates.all().containsKey(value.toString())) {
                errors.add(key, "unknown template '" + value + "'; known: " + String.join(", ", new java.util.TreeSet<>(Templates.all().keySet())));
                continue;
            }
            values.put(key, PATH_KEYS.contains(key) ? checkedPath(key, value.toString(), paths, errors) : value);
            asTyped.put(key, value);
        }
        checkRewardSources(values, errors, paths);
        checkDatasets(values, stageOf(values), errors, paths);
        errors.throwIfAny();
        Map<String, Object> all = new LinkedHashMap<>(values);
        all.putAll(fixed);
        JtuneConfig config;
        try {
            config = ConfigLoader.fromMap(SOURCE, all, List.of());
        } catch (JtuneException bad) {
            String field = keys.stream().filter(k -> bad.getMessage().contains(k)).findFirst().orElse("_form");
            throw FieldErrors.of(field, withoutOrigin(field, bad.getMessage()));
        }
        return new Checked(values, all, config, asTyped);
    }

    /**
     * A checked form: what the user set (paths made absolute), that plus the fixed keys, the parsed
     * config, and the values as the user typed them (trimmed), which a reloaded page shows again.
     */
    public record Checked(Map<String, Object> userValues, Map<String, Object> allValues, JtuneConfig config,
                          Map<String, Object> typedValues) {}

    /** reward_model and reward_funcs name folders and endpoints: confined by {@link RewardSources}. */
    private static void checkRewardSources(Map<String, Object> values, FieldErrors.Collector errors, PathGuard paths) {
        try {
            if (values.get("reward_model") != null) {
                values.put("reward_model", RewardSources.rewardModel(values.get("reward_model").toString(), values.get("reward_model_type"), paths));
            }
        } catch (IllegalArgumentException e) {
            errors.add("reward_model", e.getMessage());
        }
        try {
            if (values.get("reward_funcs") != null) values.put("reward_funcs", RewardSources.rewardFuncs(values.get("reward_funcs"), paths));
        } catch (IllegalArgumentException e) {
            errors.add("reward_funcs", e.getMessage());
        }
    }

    private static Object checkedPath(String key, String text, PathGuard paths, FieldErrors.Collector errors) {
        if (key.equals("model_name_or_path") && paths.isHubId(text)) return text;
        if (key.equals("resume_from_checkpoint") && (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false"))) return text;
        try {
            Path p = EXISTING.contains(key) ? paths.existingDirectory(text) : paths.resolve(text);
            if (key.equals("model_name_or_path") && !Files.isRegularFile(p.resolve("config.json"))) {
                errors.add(key, "no config.json in " + text + ": give a Hugging Face model folder or a hub id (owner/name)");
            }
            if (key.equals("adapter_name_or_path") && !Files.isRegularFile(p.resolve("adapter_config.json"))) {
                errors.add(key, "no adapter_config.json in " + text + ": give an output folder of a LoRA training");
            }
            return p.toString();
        } catch (IllegalArgumentException e) {
            errors.add(key, e.getMessage());
            return text;
        }
    }

    /**
     * Every name in dataset / eval_dataset must be an entry of dataset_info.json in dataset_dir, and
     * every file it reads (dataset_info.json too) must lie under the roots after following links: a
     * file_name with "../" or an absolute path, or a link in a dataset folder to a file elsewhere, is
     * refused here, before a job opens it (and {@link PathGuard#dataFileCheck} refuses it again as
     * the job opens it).
     */
    /** The stage the form's values train or evaluate with: the one set, else the form's fixed one, else the key's default. */
    private String stageOf(Map<String, Object> values) {
        Object stage = values.getOrDefault("stage", fixed.getOrDefault("stage", ConfigKeys.get("stage").defaultValue()));
        return String.valueOf(stage);
    }

    /**
     * Whether a dataset fits a stage: rm and dpo train on ranking datasets (chosen / rejected pairs),
     * every other stage on non-ranking ones (the rule DatasetPipeline applies when a job reads them).
     */
    static boolean fitsStage(DatasetAttr attr, String stage) {
        return attr.ranking() == (stage.equals("rm") || stage.equals("dpo"));
    }

    private static void checkDatasets(Map<String, Object> values, String stage, FieldErrors.Collector errors, PathGuard paths) {
        if (!values.containsKey("dataset") && !values.containsKey("eval_dataset")) return;
        Object dir = values.getOrDefault("dataset_dir", ConfigKeys.get("dataset_dir").defaultValue());
        if (errors.has("dataset_dir")) return;
        Path datasetDir;
        DatasetRegistry registry;
        try {
            datasetDir = paths.existingDirectory(dir.toString());
            paths.confine(datasetDir.resolve(DatasetRegistry.FILE_NAME), DatasetRegistry.FILE_NAME + " of " + dir);
            registry = DatasetRegistry.load(datasetDir);
        } catch (IllegalArgumentException | JtuneException e) {
            errors.add("dataset_dir", e.getMessage());
            return;
        }
        List<String> known = registry.names();
        for (String key : List.of("dataset", "eval_dataset")) {
            Object v = values.get(key);
            if (v == null) continue;
            List<String> names = v instanceof List<?> l ? l.stream().map(String::valueOf).toList()
                    : List.of(v.toString().split(","));
            for (String n : names) {
                String name = n.trim();
                if (!known.contains(name)) {
                    errors.add(key, "'" + name + "' is not in " + DatasetRegistry.FILE_NAME + " of " + dir + " (known: "
                            + String.join(", ", known) + ")");
                    continue;
                }
                String problem = confinementProblem(registry, datasetDir, name, paths);
                if (problem != null) {
                    errors.add(key, problem);
                } else if (!fitsStage(registry.get(name), stage)) {
                    errors.add(key, "'" + name + "' " + (registry.get(name).ranking() ? "is" : "is not") + " a preference dataset"
                            + " (\"ranking\": " + registry.get(name).ranking() + "), which does not fit stage " + stage
                            + ": rm and dpo need ranking datasets, the other stages non-ranking ones");
                }
            }
        }
    }

    /** Why dataset {@code name}'s files may not be read (outside the roots), or null when all lie inside. */
    static String confinementProblem(DatasetRegistry registry, Path datasetDir, String name, PathGuard paths) {
        try {
            String fileName = registry.get(name).fileName();
            Path location = datasetDir.resolve(fileName).normalize();
            paths.confine(location, "file_name \"" + fileName + "\" of dataset '" + name + "'");
            if (!Files.exists(location)) return null; // the job says "not found" with the file's name
            if (Files.isDirectory(location)) {
                try (java.util.stream.Stream<Path> s = Files.list(location)) {
                    for (Path f : s.sorted().toList()) {
                        paths.confine(f, "'" + datasetDir.relativize(f) + "' of dataset '" + name + "'");
                    }
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        } catch (JtuneException | java.io.IOException | java.io.UncheckedIOException e) {
            return "dataset '" + name + "': " + e.getMessage();
        }
    }

    /**
     * What the YAML parser says about this one value on its own (type, range, choices, support), or
     * null. A required key stands in for the others so that only this key's own problems show.
     */
    private static String ownProblem(String key, Object value) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put(key, value);
        one.putIfAbsent("model_name_or_path", "stand-in");
        try {
            ConfigLoader.fromMap(SOURCE, one, List.of());
            return null;
        } catch (JtuneException bad) {
            // The parser names the key either as "key 'k'" (types, ranges), as "k = value" (unsupported
            // values) or as "k is not supported" (unsupported keys such as export_legacy_format).
            String message = bad.getMessage();
            if (message.startsWith(SOURCE + ": key '" + key + "'")) return withoutOrigin(key, message);
            if (message.startsWith(SOURCE + ": " + key + " = ") || message.startsWith(SOURCE + ": " + key + " is not supported")) {
                return message.substring(SOURCE.length() + 2);
            }
            return null;
        }
    }

    /** The parser's messages start with where the value came from; next to the input that is noise. */
    static String withoutOrigin(String key, String message) {
        String m = message.startsWith(SOURCE + ": ") ? message.substring(SOURCE.length() + 2) : message;
        String keyPrefix = "key '" + key + "'";
        while (m.startsWith(keyPrefix)) m = m.substring(keyPrefix.length()).replaceFirst("^[:,]\\s*", "");
        return m;
    }
}
