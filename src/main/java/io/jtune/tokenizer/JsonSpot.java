package io.jtune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.JtuneException;
import java.nio.file.Path;

/**
 * A node of a tokenizer file together with where it sits (file and JSON path), so every error
 * names exactly what to fix, e.g. {@code tokenizer.json at $.pre_tokenizer.pretokenizers[1].type}.
 */
record JsonSpot(Path file, String path, JsonNode node) {

    static JsonSpot root(Path file, JsonNode node) {
        return new JsonSpot(file, "$", node);
    }

    JsonSpot get(String key) {
        JsonNode child = node == null ? null : node.get(key);
        return new JsonSpot(file, path + "." + key, child);
    }

    JsonSpot get(int index) {
        return new JsonSpot(file, path + "[" + index + "]", node.get(index));
    }

    boolean isMissing() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    String text() {
        if (isMissing() || !node.isTextual()) throw error("expected a string");
        return node.asText();
    }

    String textOr(String fallback) {
        return isMissing() ? fallback : text();
    }

    boolean bool(boolean fallback) {
        if (isMissing()) return fallback;
        if (!node.isBoolean()) throw error("expected true or false");
        return node.asBoolean();
    }

    int integer(int fallback) {
        if (isMissing()) return fallback;
        if (!node.canConvertToInt()) throw error("expected an integer");
        return node.asInt();
    }

    int size() {
        if (isMissing() || !node.isArray()) throw error("expected a list");
        return node.size();
    }

    JtuneException error(String what) {
        return new JtuneException(file + " at " + path + ": " + what);
    }

    JtuneException unsupported(String kind, String type, String supported) {
        return new JtuneException(file + " at " + path + ": unsupported " + kind + " type '" + type
                + "'; jtune supports " + supported);
    }
}
