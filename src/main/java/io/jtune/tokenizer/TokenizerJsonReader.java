package io.jtune.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.tokenizer.model.BpeModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads tokenizer.json with the model's vocab and merges streamed straight into a map and a list:
 * Qwen's file has 151k of each, and a JSON tree of them (a node per entry, two per merge pair)
 * takes several times longer to build than the tokenizer itself. Everything else becomes a tree.
 */
final class TokenizerJsonReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The file's tree without model.vocab and model.merges, and those two read separately. */
    record Contents(ObjectNode root, Map<String, Integer> vocab, List<BpeModel.Merge> merges) {}

    private TokenizerJsonReader() {}

    static Contents read(Path file) {
        try (JsonParser p = JSON.createParser(file.toFile())) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, file, "$");
            ObjectNode root = JSON.createObjectNode();
            Map<String, Integer> vocab = null;
            List<BpeModel.Merge> merges = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                if (!key.equals("model") || value != JsonToken.START_OBJECT) {
                    root.set(key, p.readValueAsTree());
                    continue;
                }
                ObjectNode model = JSON.createObjectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken fieldValue = p.nextToken();
                    if (field.equals("vocab") && fieldValue == JsonToken.START_OBJECT) {
                        vocab = readVocab(p, file);
                    } else if (field.equals("merges") && fieldValue == JsonToken.START_ARRAY) {
                        merges = readMerges(p, file);
                    } else {
                        model.set(field, p.readValueAsTree());
                    }
                }
                root.set("model", model);
            }
            return new Contents(root, vocab, merges);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new JtuneException(file + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ")", e);
        } catch (IOException e) {
            throw new JtuneException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Integer> readVocab(JsonParser p, Path file) throws IOException {
        Map<String, Integer> vocab = new HashMap<>(1 << 16);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            expect(p, p.nextToken(), JsonToken.VALUE_NUMBER_INT, file, "$.model.vocab");
            vocab.put(token, p.getIntValue());
        }
        return vocab;
    }

    /** Merges as "left right" strings or as ["left", "right"] pairs. */
    private static List<BpeModel.Merge> readMerges(JsonParser p, Path file) throws IOException {
        List<BpeModel.Merge> merges = new ArrayList<>(1 << 16);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = "$.model.merges[" + merges.size() + "]";
            if (t == JsonToken.VALUE_STRING) {
                // "a b": such tokens never contain a space (files use pairs for that).
                String s = p.getText();
                int space = s.indexOf(' ', 1);
                if (space < 0) throw new JtuneException(file + " at " + where + ": expected \"left right\", found \"" + s + "\"");
                merges.add(new BpeModel.Merge(s.substring(0, space), s.substring(space + 1)));
            } else if (t == JsonToken.START_ARRAY) {
                expect(p, p.nextToken(), JsonToken.VALUE_STRING, file, where);
                String left = p.getText();
                expect(p, p.nextToken(), JsonToken.VALUE_STRING, file, where);
                String right = p.getText();
                expect(p, p.nextToken(), JsonToken.END_ARRAY, file, where);
                merges.add(new BpeModel.Merge(left, right));
            } else {
                throw new JtuneException(file + " at " + where + ": expected \"left right\" or [\"left\", \"right\"]");
            }
        }
        return merges;
    }

    private static void expect(JsonParser p, JsonToken actual, JsonToken expected, Path file, String where) {
        if (actual != expected) {
            throw new JtuneException(file + " at " + where + " (line " + p.currentLocation().getLineNr() + "): expected "
                    + describe(expected) + ", found " + (actual == null ? "the end of the file" : describe(actual)));
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case END_ARRAY -> "the end of a pair";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            default -> t.name().toLowerCase();
        };
    }
}
