package io.jtune.tokenizer.sentencepiece;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with the sentencepiece library (src/test/python/make_sentencepiece_goldens.py): a unigram and
 * a BPE tokenizer.model (identity normalization) and a unigram one with the library's default
 * nmt_nfkc rule (a precompiled character map: full-width letters, ligatures, "…", combining accents),
 * trained on our own text, encode English, Chinese, whitespace runs, digits and
 * characters only byte fallback covers to the library's ids, and decode them (and id sequences the
 * encoder never makes: cut UTF-8, control and unknown ids, leading spaces) to the library's text.
 */
class SentencePieceGoldenTest {
    private static final Path DIR = Path.of("src/test/resources/goldens/sentencepiece");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> models() throws IOException {
        List<String> names = new ArrayList<>();
        for (JsonNode m : JSON.readTree(DIR.resolve("cases.json").toFile()).get("models")) names.add(m.get("file").asText());
        return names.stream();
    }

    private static JsonNode model(String file) throws IOException {
        for (JsonNode m : JSON.readTree(DIR.resolve("cases.json").toFile()).get("models")) {
            if (m.get("file").asText().equals(file)) return m;
        }
        throw new AssertionError(file);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    @ParameterizedTest
    @MethodSource("models")
    void encodesAndDecodesAsTheLibrary(String file) throws IOException {
        JsonNode expected = model(file);
        SentencePieceProcessor sp = SentencePieceProcessor.load(DIR.resolve(file));
        assertEquals(expected.get("vocab_size").asInt(), sp.size());
        assertEquals(expected.get("model_type").asText().toUpperCase(), sp.proto().modelType().name());
        assertTrue(sp.proto().byteFallback());
        for (JsonNode c : expected.get("encode")) {
            String text = c.get("text").asText();
            int[] ids = sp.encode(text);
            assertArrayEquals(ints(c.get("ids")), ids, file + " ids of '" + text + "'");
            List<String> pieces = new ArrayList<>();
            c.get("pieces").forEach(p -> pieces.add(p.asText()));
            for (int i = 0; i < ids.length; i++) assertEquals(pieces.get(i), sp.idToPiece(ids[i]));
            assertEquals(c.get("decoded").asText(), sp.decode(ids), file + " decode of '" + text + "'");
        }
        for (JsonNode c : expected.get("decode")) {
            assertEquals(c.get("text").asText(), sp.decode(ints(c.get("ids"))), file + " decode of " + c.get("ids"));
        }
    }

    @Test
    void normalizationFollowsTheModelsWhitespaceRules() {
        SentencePieceProcessor unigram = SentencePieceProcessor.load(DIR.resolve("unigram.model"));
        SentencePieceProcessor bpe = SentencePieceProcessor.load(DIR.resolve("bpe.model"));
        assertEquals("\u2581\u2581a\u2581\u2581b\u2581", unigram.normalize(" a  b "), "kept as written, one dummy prefix");
        assertEquals("\u2581a\u2581b", bpe.normalize(" a  b "), "extra whitespace removed");
        assertEquals("", unigram.normalize(""));
        assertEquals("", bpe.normalize("   "));
        assertEquals("\u2581<tool>x", unigram.normalize("<tool>x"));
    }

    @Test
    void aFileThatIsNoModelProtoIsRefusedWithItsName(@TempDir Path tmp) throws IOException {
        Path tiktoken = tmp.resolve("tokenizer.model");
        Files.writeString(tiktoken, "IQ== 0\nIg== 1\n");   // GLM-4's tiktoken-style tokenizer.model
        JtuneException e = assertThrows(JtuneException.class, () -> SentencePieceProcessor.load(tiktoken));
        assertTrue(e.getMessage().contains(tiktoken.toString()) && e.getMessage().contains("not a sentencepiece model"), e.getMessage());
        Path empty = tmp.resolve("empty.model");
        Files.write(empty, new byte[0]);
        assertThrows(JtuneException.class, () -> SentencePieceProcessor.load(empty));
    }
}
