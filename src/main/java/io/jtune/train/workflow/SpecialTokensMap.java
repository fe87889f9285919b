package io.jtune.train.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * special_tokens_map.json as a transformers tokenizer's save_pretrained writes it: each special
 * token the tokenizer has (bos, eos, unk, sep, pad, cls, mask and the additional ones), as an
 * AddedToken object (content, lstrip, normalized, rstrip, single_word) when tokenizer_config.json's
 * added_tokens_decoder describes it, else as its text; indent 2, sorted keys. Written only where the
 * tokenizer files copied beside an adapter or a model lack one.
 */
public final class SpecialTokensMap {
    public static final String FILE_NAME = "special_tokens_map.json";
    private static final List<String> KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    private SpecialTokensMap() {}

    /** The map from dir/tokenizer_config.json; empty when the file is absent, unreadable or names no special token. */
    public static Map<String, Object> of(Path tokenizerDir) {
        Path configFile = tokenizerDir.resolve("tokenizer_config.json");
        Map<String, Object> map = new LinkedHashMap<>();
        if (!Files.isRegularFile(configFile)) return map;
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(configFile.toFile());
        } catch (IOException e) {
            return map; // a tokenizer that loaded for training has a readable config; nothing to describe otherwise
        }
        Map<String, JsonNode> added = new LinkedHashMap<>();
        config.path("added_tokens_decoder").forEach(t -> {
            if (t.hasNonNull("content")) added.put(t.get("content").asText(), t);
        });
        for (String key : KEYS) {
            JsonNode v = config.get(key);
            if (v != null && !v.isNull()) map.put(key, token(v, added));
        }
        JsonNode extra = config.get("additional_special_tokens");
        if (extra != null && extra.isArray() && !extra.isEmpty()) {
            List<Object> tokens = new ArrayList<>();
            extra.forEach(v -> tokens.add(token(v, added)));
            map.put("additional_special_tokens", tokens);
        }
        return map;
    }

    /** Writes dir/special_tokens_map.json from tokenizerDir's config unless dir has one already or there is nothing to write. */
    public static void writeIfMissing(Path dir, Path tokenizerDir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (Files.exists(file)) return;
        Map<String, Object> map = of(tokenizerDir);
        if (map.isEmpty()) return;
        AtomicFiles.writeString(file, PythonJson.dumps(map, PythonJson.Options.DEFAULT.withIndent(2).withSortedKeys()) + "\n");
    }

    private static Object token(JsonNode v, Map<String, JsonNode> added) {
        String content = v.isObject() ? v.path("content").asText() : v.asText();
        JsonNode described = v.isObject() ? v : added.get(content);
        if (described == null) return content;
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("content", content);
        t.put("lstrip", described.path("lstrip").asBoolean(false));
        t.put("normalized", described.path("normalized").asBoolean(false));
        t.put("rstrip", described.path("rstrip").asBoolean(false));
        t.put("single_word", described.path("single_word").asBoolean(false));
        return t;
    }
}
