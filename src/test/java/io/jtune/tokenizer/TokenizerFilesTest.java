package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small hand-written tokenizer.json files: the SentencePiece-style options (byte fallback,
 * fuse_unk), merges as strings or pairs, ignore_merges, continuing_subword_prefix, added-token
 * matching (lstrip, rstrip, single_word, normalized), tokenizer_config.json, and the errors.
 */
class TokenizerFilesTest {
    @TempDir
    Path dir;

    /** A tiny Llama-2-like tokenizer: ids 0-2 special, "▁" a b ab ▁ab, byte tokens for 'A' and 你. */
    private static final String SENTENCEPIECE_LIKE = """
            {"version": "1.0",
             "added_tokens": [
               {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 12, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": true, "normalized": false, "special": false},
               {"id": 13, "content": "tok", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false}],
             "normalizer": {"type": "Sequence", "normalizers": [
               {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
             "pre_tokenizer": null,
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
             "decoder": {"type": "Sequence", "decoders": [
               {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
               {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
             "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
               "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "a": 4, "b": 5, "ab": 6, "▁ab": 7,
                         "<0x41>": 8, "<0xE4>": 9, "<0xBD>": 10, "<0xA0>": 11},
               "merges": MERGES}}
            """;

    private HfTokenizer write(String tokenizerJson, String config) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson);
        if (config != null) Files.writeString(dir.resolve("tokenizer_config.json"), config);
        return HfTokenizer.load(dir);
    }

    private HfTokenizer sentencePieceLike(String config) throws IOException {
        return write(SENTENCEPIECE_LIKE.replace("MERGES", "[\"a b\", \"▁ ab\"]"), config);
    }

    @Test
    void bytesFallBackAndUnknownCharactersFuse() throws IOException {
        HfTokenizer t = sentencePieceLike(null);
        assertArrayEquals(new int[] {7, 7}, t.encode("ab ab", false));
        assertArrayEquals(new int[] {1, 7, 3, 4}, t.encode("ab a", true));
        assertArrayEquals(new int[] {3, 8}, t.encode("A", false));               // 'A' only as a byte token
        assertArrayEquals(new int[] {3, 9, 10, 11}, t.encode("你", false));      // three byte tokens
        assertArrayEquals(new int[] {3, 0, 4}, t.encode("çça", false));           // ç has no byte tokens: one fused <unk>
        assertEquals("ab 你A", t.decode(t.encode("ab 你A", false), false));
        assertEquals(14, t.vocabSize());
    }

    @Test
    void mergesAsPairsEqualMergesAsStrings() throws IOException {
        HfTokenizer pairs = write(SENTENCEPIECE_LIKE.replace("MERGES", "[[\"a\", \"b\"], [\"▁\", \"ab\"]]"), null);
        assertArrayEquals(new int[] {7, 3, 4}, pairs.encode("ab a", false));
    }

    @Test
    void addedTokensHonourLstripRstripAndSingleWord() throws IOException {
        HfTokenizer t = sentencePieceLike(null);
        // lstrip/rstrip: the spaces around <mask> belong to it, so "b" gets only the normalizer's "▁".
        assertArrayEquals(new int[] {7, 12, 3, 5}, t.encode("ab  <mask>  b", false));
        // single_word: "tok" inside a word is text (here unknown chars), alone it is token 13.
        assertArrayEquals(new int[] {7, 3, 13, 3, 3, 4}, t.encode("ab tok a", false));
        assertArrayEquals(new int[] {3, 4, 0}, t.encode("atok", false));
        // Special tokens in the text are matched; the text after them is a new segment.
        assertArrayEquals(new int[] {1, 7, 2}, t.encode("<s>ab</s>", false));
        assertEquals("<s> ab</s>", t.decode(new int[] {1, 7, 2}, false));
        assertEquals("ab", t.decode(new int[] {1, 7, 2}, true));
        assertTrue(t.isSpecial(1));
        assertTrue(!t.isSpecial(12));
    }

    @Test
    void streamingDecoderWaitsForWholeCharacters() throws IOException {
        HfTokenizer t = sentencePieceLike(null);
        StreamingDecoder stream = t.streamingDecoder(false);
        assertEquals("ab", stream.next(7));
        assertEquals("", stream.next(9));
        assertEquals("", stream.next(10));
        assertEquals("你", stream.next(11));
        assertEquals(" ab", stream.next(7));    // the space of "▁ab" after the first token stays
        assertEquals("", stream.next(9));
        assertEquals("", stream.finish());  // an unfinished character is dropped, never shown as U+FFFD
        StreamingDecoder cut = t.streamingDecoder(false);
        assertEquals("ab", cut.next(7));
        assertEquals("", cut.next(9));
        assertEquals("\uFFFD ab", cut.next(7)); // a byte that no character follows: broken, and shown as such
        assertEquals("", cut.next(10));
        assertEquals("", cut.finish());          // only bytes cut off at the end are dropped
    }

    @Test
    void configDecidesBosEosAndChatTemplate() throws IOException {
        HfTokenizer t = sentencePieceLike("""
                {"add_bos_token": true, "add_eos_token": true,
                 "bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>", "pad_token": null,
                 "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "{{ messages }}"}]}
                """);
        assertArrayEquals(new int[] {1, 7, 2}, t.encode("ab", true));
        assertArrayEquals(new int[] {7}, t.encode("ab", false));
        assertEquals(1, t.bosTokenId().getAsInt());
        assertEquals(2, t.eosTokenId().getAsInt());
        assertTrue(t.padTokenId().isEmpty());
        assertEquals("{{ messages }}", t.chatTemplate());

        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"<unk>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ jinja }}");
        HfTokenizer withFiles = sentencePieceLike("{\"add_bos_token\": false, \"bos_token\": \"<s>\"}");
        assertArrayEquals(new int[] {7}, withFiles.encode("ab", true));
        assertEquals(0, withFiles.padTokenId().getAsInt());
        assertEquals("{{ jinja }}", withFiles.chatTemplate());
    }

    @Test
    void llamaClassesAddBosByDefaultAsTransformersDoes() throws IOException {
        String noPostProcessor = SENTENCEPIECE_LIKE.replace("MERGES", "[\"a b\", \"▁ ab\"]")
                .replaceFirst("(?s)\"post_processor\": \\{.*?\"tokens\": \\[\"<s>\"]}}},", "\"post_processor\": null,");
        assertArrayEquals(new int[] {7}, write(noPostProcessor, "{\"bos_token\": \"<s>\"}").encode("ab", true));
        assertArrayEquals(new int[] {1, 7}, write(noPostProcessor, "{\"tokenizer_class\": \"LlamaTokenizerFast\", \"bos_token\": \"<s>\"}").encode("ab", true));
        assertArrayEquals(new int[] {7}, write(noPostProcessor, "{\"tokenizer_class\": \"GemmaTokenizer\", \"bos_token\": \"<s>\", \"add_bos_token\": false}").encode("ab", true));
        JtuneException e = assertThrows(JtuneException.class, () -> write(noPostProcessor, "{\"tokenizer_class\": \"LlamaTokenizer\"}"));
        assertTrue(e.getMessage().contains("add_bos_token is true (the default for LlamaTokenizer)"), e.getMessage());
    }

    @Test
    void ignoreMergesAndContinuingSubwordPrefix() throws IOException {
        String model = """
                {"model": {"type": "BPE", "ignore_merges": IGNORE, "continuing_subword_prefix": "##",
                  "vocab": {"a": 0, "##b": 1, "##c": 2, "ab": 3, "abc": 4}, "merges": ["a ##b"]},
                 "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false}}
                """;
        assertArrayEquals(new int[] {3, 2, 3}, write(model.replace("IGNORE", "false"), null).encode("abc ab", false));
        assertArrayEquals(new int[] {4, 3}, write(model.replace("IGNORE", "true"), null).encode("abc ab", false));
        assertNull(write(model.replace("IGNORE", "true"), null).chatTemplate());

        // end_of_word_suffix marks a word's last character, and merged tokens carry it along.
        HfTokenizer suffixed = write("""
                {"model": {"type": "BPE", "end_of_word_suffix": "</w>",
                  "vocab": {"a": 0, "b": 1, "b</w>": 2, "ab</w>": 3, "a</w>": 4}, "merges": ["a b</w>"]}}
                """, null);
        assertArrayEquals(new int[] {3}, suffixed.encode("ab", false));
        assertArrayEquals(new int[] {0, 4}, suffixed.encode("aa", false));
    }

    @Test
    void normalizedAddedTokensMatchAfterNormalization() throws IOException {
        HfTokenizer t = write("""
                {"added_tokens": [{"id": 3, "content": "hi", "normalized": true, "special": false}],
                 "normalizer": {"type": "Lowercase"},
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                 "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": {"x": 0, "Ġ": 1, "y": 2}, "merges": []}}
                """, null);
        assertArrayEquals(new int[] {0, 3, 1, 2}, t.encode("xHI Y", false));
        assertEquals("xhi y", t.decode(t.encode("xHI Y", false), false));
    }

    @Test
    void unsupportedComponentsNameFilePathAndSupportedTypes() throws IOException {
        JtuneException e = assertThrows(JtuneException.class, () -> write(SENTENCEPIECE_LIKE.replace("MERGES", "[]")
                .replace("\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\"}, {\"type\": \"BertPreTokenizer\"}]}"), null));
        assertTrue(e.getMessage().contains("tokenizer.json at $.pre_tokenizer.pretokenizers[1].type"), e.getMessage());
        assertTrue(e.getMessage().contains("'BertPreTokenizer'") && e.getMessage().contains("ByteLevel, Split, Metaspace, Digits, Sequence"), e.getMessage());

        e = assertThrows(JtuneException.class, () -> write("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", null));
        assertTrue(e.getMessage().contains("$.model.type") && e.getMessage().contains("supports BPE"), e.getMessage());

        e = assertThrows(JtuneException.class, () -> write(SENTENCEPIECE_LIKE.replace("MERGES", "[\"a c\"]"), null));
        assertTrue(e.getMessage().contains("$.model.merges[0]") && e.getMessage().contains("'a c'"), e.getMessage());

        e = assertThrows(JtuneException.class, () -> write(SENTENCEPIECE_LIKE.replace("MERGES", "[]"), "{\"eos_token\": \"<nope>\"}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json at $.eos_token") && e.getMessage().contains("<nope>"), e.getMessage());

        e = assertThrows(JtuneException.class, () -> HfTokenizer.load(dir.resolve("nowhere")));
        assertTrue(e.getMessage().contains("tokenizer.json not found"), e.getMessage());
    }
}
