package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Special-token facts of the real Qwen3 and SentencePiece-style files, as transformers reports them. */
class RealTokenizerSpecialTokensTest {

    @Test
    void qwen3() {
        HfTokenizer qwen3 = TokenizerFixtures.qwen3();
        assertEquals(151669, qwen3.vocabSize());  // len(tokenizer): 151643 + 26 added tokens
        assertTrue(qwen3.bosTokenId().isEmpty());
        assertEquals(151645, qwen3.eosTokenId().getAsInt());  // <|im_end|>
        assertEquals(151643, qwen3.padTokenId().getAsInt());  // <|endoftext|>
        assertTrue(qwen3.chatTemplate().contains("<|im_start|>"));
        int[] ids = qwen3.encode("<|im_start|>user\nhi<|im_end|><think>", true);
        assertArrayEquals(new int[] {151644, 872, 198, 6023, 151645, 151667}, ids);
        // <think> is an added token but not a special one: skip_special_tokens keeps it.
        assertEquals("user\nhi<think>", qwen3.decode(ids, true));
        assertTrue(qwen3.isSpecial(151644));
        assertFalse(qwen3.isSpecial(151667));
        assertEquals("<|im_end|>", qwen3.idToToken(151645));
        assertEquals(151667, qwen3.tokenToId("<think>").getAsInt());
    }

    @Test
    void sentencePieceStyle() {
        HfTokenizer llama2 = TokenizerFixtures.llama2();
        assertEquals(32000, llama2.vocabSize());
        assertEquals(1, llama2.bosTokenId().getAsInt());
        assertEquals(2, llama2.eosTokenId().getAsInt());
        assertTrue(llama2.padTokenId().isEmpty());
        assertArrayEquals(new int[] {1}, llama2.encode("", true));
        assertArrayEquals(new int[] {}, llama2.encode("", false));
        assertArrayEquals(new int[] {1, 22557}, llama2.encode("Hello", true));
        assertEquals("<0x0A>", llama2.idToToken(13));
        assertEquals("\n", llama2.decode(new int[] {13}, false));
    }

    @Test
    void llama3() {
        HfTokenizer llama3 = TokenizerFixtures.llama3();
        assertEquals(128256, llama3.vocabSize());
        assertEquals(128000, llama3.bosTokenId().getAsInt());
        assertEquals(128001, llama3.eosTokenId().getAsInt());
        // This early Llama 3 tokenizer.json has a ByteLevel post-processor: no BOS is added, as in HF.
        assertArrayEquals(new int[] {9906}, llama3.encode("Hello", true));
        assertArrayEquals(new int[] {128000, 9906}, llama3.encode("<|begin_of_text|>Hello", true));
        // clean_up_tokenization_spaces is true in its tokenizer_config.json.
        int[] ids = llama3.encode("a , b .", false);
        assertEquals("a, b.", llama3.decode(ids, false));
        assertEquals("a , b .", llama3.decode(ids, false, false));
    }
}
