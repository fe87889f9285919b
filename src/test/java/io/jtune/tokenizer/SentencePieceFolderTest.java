package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.tokenizer.sentencepiece.SentencePieceProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model folder with a sentencepiece tokenizer.model and no tokenizer.json loads as an HfTokenizer:
 * ChatGLM3's ChatGLMTokenizer (its special tokens after the pieces, [gMASK] sop before encoded text,
 * each stretch between special tokens encoded on its own) and a Llama-style slow tokenizer (BOS added).
 */
class SentencePieceFolderTest {
    private static final Path MODEL = Path.of("src/test/resources/goldens/sentencepiece/unigram.model");

    static Path chatGlmFolder(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.copy(MODEL, dir.resolve("tokenizer.model"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"tokenizer_class": "ChatGLMTokenizer", "eos_token": "</s>", "pad_token": "<unk>", "unk_token": "<unk>",
                 "clean_up_tokenization_spaces": false, "padding_side": "left", "remove_space": false,
                 "auto_map": {"AutoTokenizer": ["tokenization_chatglm.ChatGLMTokenizer", null]}}
                """);
        return dir;
    }

    @Test
    void chatGlm3SpecialTokensFollowThePiecesAndPrefixTheText(@TempDir Path tmp) throws Exception {
        HfTokenizer tok = HfTokenizer.load(chatGlmFolder(tmp.resolve("chatglm3")));
        SentencePieceProcessor sp = SentencePieceProcessor.load(MODEL);
        int n = sp.size();
        assertEquals(n + 1, tok.tokenToId("[gMASK]").orElseThrow());
        assertEquals(n + 3, tok.tokenToId("sop").orElseThrow());
        assertEquals(n + 6, tok.tokenToId("<|user|>").orElseThrow());
        assertEquals(n + 8, tok.tokenToId("<|observation|>").orElseThrow());
        assertEquals(n + 9, tok.vocabSize());
        assertEquals(sp.controlId("</s>"), tok.eosTokenId().orElseThrow());
        assertEquals(sp.unkId(), tok.padTokenId().orElseThrow());

        assertArrayEquals(sp.encode("hello world"), tok.encode("hello world", false));
        int[] withPrefix = tok.encode("hello world", true);
        assertArrayEquals(IntStream.concat(IntStream.of(n + 1, n + 3), IntStream.of(sp.encode("hello world"))).toArray(), withPrefix);

        // A special token in the text is its id; the text after it is encoded on its own (its own dummy prefix).
        int[] turn = tok.encode("<|user|>\nhello<|assistant|>", false);
        int[] expected = IntStream.concat(IntStream.concat(IntStream.of(n + 6), IntStream.of(sp.encode("\nhello"))),
                IntStream.of(n + 7)).toArray();
        assertArrayEquals(expected, turn);

        // ChatGLM3 decodes the special tokens with the pieces in one sentencepiece DecodePieces call: a
        // special token is no piece, shows as itself, and the text after it keeps its leading space.
        assertEquals("[gMASK]sop hello world", tok.decode(withPrefix, false));
        assertEquals("hello world", tok.decode(withPrefix, true));
        int[] mixed = IntStream.concat(IntStream.of(sp.encode("中文 hello")), IntStream.of(sp.controlId("</s>"))).toArray();
        assertEquals("中文 hello", tok.decode(mixed, true));
        assertEquals(sp.decode(sp.encode("中文 hello")), tok.decode(mixed, true));
        assertTrue(tok.isSpecial(n + 6));
    }

    @Test
    void aLlamaStyleSlowTokenizerAddsBos(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("llama");
        Files.createDirectories(dir);
        Files.copy(MODEL, dir.resolve("tokenizer.model"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
                """);
        HfTokenizer tok = HfTokenizer.load(dir);
        SentencePieceProcessor sp = SentencePieceProcessor.load(MODEL);
        int bos = sp.controlId("<s>");
        assertEquals(bos, tok.bosTokenId().orElseThrow());
        assertArrayEquals(IntStream.concat(IntStream.of(bos), IntStream.of(sp.encode("the shop"))).toArray(), tok.encode("the shop", true));
        assertArrayEquals(IntStream.concat(IntStream.of(bos), IntStream.of(sp.encode(" x"))).toArray(), tok.encode("<s> x", false),
                "a special token written in the text is its id");
        assertEquals("the shop", tok.decode(tok.encode("the shop", true), true));
    }
}
