package io.jtune.io.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of the keys of one JSON object (config.json, generation_config.json), each failure a
 * {@link HfModelException} naming the file, the key and the expected type. A key that is absent or
 * JSON null counts as absent, as it does for transformers.
 */
final class JsonKeys {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final JsonNode node;
    private final String prefix; // "rope_scaling." for nested objects, "" at the top

    JsonKeys(Path file, JsonNode node, String prefix) {
        this.file = file;
        this.node = node;
        this.prefix = prefix;
    }

    /** Reads a JSON object from {@code file}. */
    static ObjectNode readObject(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new HfModelException(file, "the file does not exist");
        } catch (JacksonException e) {
            throw new HfModelException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new HfModelException(file, "cannot read the file: " + e, e);
        }
        if (!(root instanceof ObjectNode obj)) {
            throw new HfModelException(file, "must hold a JSON object");
        }
        return obj;
    }

    Path file() { return file; }

    /** True when the key is written, even as null. */
    boolean hasKey(String key) {
        return node.has(key);
    }

    /** True when the key is written with a non-null value. */
    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    JsonNode raw(String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    /** A nested object, or null when absent. */
    JsonKeys object(String key) {
        JsonNode v = raw(key);
        if (v == null) return null;
        if (!v.isObject()) throw error(key, "must be a JSON object, found " + v);
        return new JsonKeys(file, v, prefix + key + ".");
    }

    Integer integerOrNull(String key) {
        JsonNode v = raw(key);
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw error(key, "must be an integer, found " + v);
        return v.intValue();
    }

    int integer(String key, int defaultValue) {
        Integer v = integerOrNull(key);
        return v == null ? defaultValue : v;
    }

    int positive(String key, int defaultValue) {
        int v = integer(key, defaultValue);
        if (v <= 0) throw error(key, "must be a positive integer, found " + v);
        return v;
    }

    double number(String key, double defaultValue) {
        JsonNode v = raw(key);
        if (v == null) return defaultValue;
        if (!v.isNumber()) throw error(key, "must be a number, found " + v);
        return v.doubleValue();
    }

    boolean bool(String key, boolean defaultValue) {
        JsonNode v = raw(key);
        if (v == null) return defaultValue;
        if (!v.isBoolean()) throw error(key, "must be true or false, found " + v);
        return v.booleanValue();
    }

    String string(String key, String defaultValue) {
        JsonNode v = raw(key);
        if (v == null) return defaultValue;
        if (!v.isTextual()) throw error(key, "must be a string, found " + v);
        return v.textValue();
    }

    /** An int or a list of ints (eos_token_id), as a list; {@code defaultValue} when absent. */
    List<Integer> intOrList(String key, List<Integer> defaultValue) {
        JsonNode v = raw(key);
        if (v == null) return defaultValue;
        if (v.isIntegralNumber() && v.canConvertToInt()) return List.of(v.intValue());
        if (v.isArray()) {
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isIntegralNumber() || !e.canConvertToInt()) throw error(key, "must be an integer or a list of integers, found " + v);
                out.add(e.intValue());
            }
            return List.copyOf(out);
        }
        throw error(key, "must be an integer or a list of integers, found " + v);
    }

    /** A list of strings, or null when absent. */
    List<String> strings(String key) {
        JsonNode v = raw(key);
        if (v == null) return null;
        if (!v.isArray()) throw error(key, "must be a list of strings, found " + v);
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) throw error(key, "must be a list of strings, found " + v);
            out.add(e.textValue());
        }
        return out;
    }

    /** A list of numbers, or null when absent. */
    List<Double> numbers(String key) {
        JsonNode v = raw(key);
        if (v == null) return null;
        if (!v.isArray()) throw error(key, "must be a list of numbers, found " + v);
        List<Double> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isNumber()) throw error(key, "must be a list of numbers, found " + v);
            out.add(e.doubleValue());
        }
        return out;
    }

    HfModelException error(String key, String problem) {
        return new HfModelException(file, "key \"" + prefix + key + "\" " + problem);
    }
}
