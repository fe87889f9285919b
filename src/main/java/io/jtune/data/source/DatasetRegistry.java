package io.jtune.data.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** dataset_info.json: the named datasets a config's {@code dataset:} key refers to. */
public final class DatasetRegistry {
    public static final String FILE_NAME = "dataset_info.json";

    private static final Set<String> KNOWN_KEYS = Set.of("file_name", "formatting", "ranking", "subset", "split",
            "folder", "num_samples", "columns", "tags", "hf_hub_url", "ms_hub_url", "om_hub_url", "script_url",
            "cloud_file_name", "file_sha1");
    private static final Set<String> COLUMN_KEYS = Set.of("prompt", "query", "response", "history", "messages",
            "system", "tools", "chosen", "rejected", "kto_tag", "images", "videos", "audios");
    private static final Set<String> TAG_KEYS = Set.of("role_tag", "content_tag", "user_tag", "assistant_tag",
            "observation_tag", "function_tag", "system_tag");

    private final Path file;
    private final JsonNode info;

    private DatasetRegistry(Path file, JsonNode info) {
        this.file = file;
        this.info = info;
    }

    /** Reads {@code datasetDir/dataset_info.json}. */
    public static DatasetRegistry load(Path datasetDir) {
        Path file = datasetDir.resolve(FILE_NAME);
        DataFiles.checkAllowed(file);
        try {
            JsonNode info = new ObjectMapper().readTree(Files.readString(file));
            if (info == null || !info.isObject()) {
                throw new JtuneException(file + ": expected a JSON object mapping dataset names to their attributes.");
            }
            return new DatasetRegistry(file, info);
        } catch (NoSuchFileException e) {
            throw new JtuneException("Cannot find " + file + " (dataset_dir is " + datasetDir
                    + "); every dataset name must be described there, see docs/data.md.");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new JtuneException(file + ": invalid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (java.nio.charset.CharacterCodingException e) {
            throw DataFiles.notUtf8(file, e);
        } catch (IOException e) {
            throw new JtuneException("Cannot read " + file + ": " + io.jtune.util.IoErrors.reason(e), e);
        }
    }

    public Path file() {
        return file;
    }

    public List<String> names() {
        List<String> names = new ArrayList<>();
        info.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The attributes of {@code name}; unknown names and online sources are explained errors. */
    public DatasetAttr get(String name) {
        JsonNode entry = info.get(name);
        if (entry == null) {
            throw new JtuneException("Dataset '" + name + "' is not defined in " + file + ". Defined datasets: "
                    + String.join(", ", names()) + ".");
        }
        if (!entry.isObject()) throw new JtuneException(file + ": entry '" + name + "' must be a JSON object.");
        for (String remote : List.of("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name")) {
            if (entry.has(remote) && !entry.has("file_name")) {
                throw new JtuneException("Dataset '" + name + "' in " + file + " is loaded from " + remote + " ("
                        + entry.get(remote).asText() + "): jtune reads local files only and does not download "
                        + "datasets. Download it first, put the files in dataset_dir and describe them with "
                        + "\"file_name\" (see docs/data.md).");
            }
        }
        for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KNOWN_KEYS.contains(key)) {
                throw new JtuneException(file + ": dataset '" + name + "' has the unknown key '" + key + "'. Allowed: "
                        + String.join(", ", new java.util.TreeSet<>(KNOWN_KEYS)) + ".");
            }
        }
        String fileName = text(entry, "file_name", name, null);
        if (fileName == null) {
            throw new JtuneException(file + ": dataset '" + name + "' needs \"file_name\" (a file or folder in "
                    + "dataset_dir).");
        }
        String formatting = text(entry, "formatting", name, "alpaca");
        if (!List.of("alpaca", "sharegpt", "openai").contains(formatting)) {
            throw new JtuneException(file + ": dataset '" + name + "' has formatting \"" + formatting
                    + "\"; allowed: alpaca, sharegpt, openai.");
        }
        String split = text(entry, "split", name, "train");
        if (!split.equals("train")) {
            throw new JtuneException(file + ": dataset '" + name + "' asks for split \"" + split + "\", but a local "
                    + "file has only the \"train\" split (as in LLaMA-Factory). Put the other split in its own file.");
        }
        JsonNode numSamples = entry.get("num_samples");
        if (numSamples != null && !numSamples.isNull() && (!numSamples.canConvertToInt() || numSamples.asInt() < 1
                || !numSamples.isIntegralNumber())) {
            throw new JtuneException(file + ": dataset '" + name + "': num_samples must be a positive integer, got "
                    + numSamples + ".");
        }
        return new DatasetAttr(name, fileName, formatting, entry.path("ranking").asBoolean(false),
                text(entry, "subset", name, null), split, text(entry, "folder", name, null),
                numSamples == null || numSamples.isNull() ? null : numSamples.asInt(),
                columns(entry.get("columns"), name), tags(entry.get("tags"), name));
    }

    private DatasetAttr.Columns columns(JsonNode node, String name) {
        DatasetAttr.Columns d = DatasetAttr.Columns.defaults();
        if (node == null) return d;
        Map<String, String> c = stringMap(node, name, "columns", COLUMN_KEYS);
        for (String media : List.of("images", "videos", "audios")) {
            if (c.get(media) != null) {
                throw new JtuneException(file + ": dataset '" + name + "' has a \"" + media + "\" column: multimodal "
                        + "data is not supported by jtune yet (text-only models).");
            }
        }
        // As LLaMA-Factory: once "columns" is given, a column it leaves out is not used (None).
        return new DatasetAttr.Columns(c.get("prompt"), c.get("query"), c.get("response"), c.get("history"),
                c.get("messages"), c.get("system"), c.get("tools"), c.get("chosen"), c.get("rejected"), c.get("kto_tag"));
    }

    private DatasetAttr.Tags tags(JsonNode node, String name) {
        DatasetAttr.Tags d = DatasetAttr.Tags.defaults();
        if (node == null) return d;
        Map<String, String> t = stringMap(node, name, "tags", TAG_KEYS);
        return new DatasetAttr.Tags(t.get("role_tag"), t.get("content_tag"), t.get("user_tag"),
                t.get("assistant_tag"), t.get("observation_tag"), t.get("function_tag"), t.get("system_tag"));
    }

    private Map<String, String> stringMap(JsonNode node, String name, String what, Set<String> allowed) {
        if (!node.isObject()) throw new JtuneException(file + ": dataset '" + name + "': \"" + what + "\" must be an object.");
        Map<String, String> out = new java.util.HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!allowed.contains(e.getKey())) {
                throw new JtuneException(file + ": dataset '" + name + "': unknown " + what + " key '" + e.getKey()
                        + "'. Allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ".");
            }
            if (!e.getValue().isTextual() && !e.getValue().isNull()) {
                throw new JtuneException(file + ": dataset '" + name + "': " + what + "." + e.getKey()
                        + " must be a string (a column name or tag value).");
            }
            out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().textValue());
        }
        return out;
    }

    private String text(JsonNode entry, String key, String name, String dflt) {
        JsonNode v = entry.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw new JtuneException(file + ": dataset '" + name + "': \"" + key + "\" must be a string.");
        return v.textValue();
    }
}
