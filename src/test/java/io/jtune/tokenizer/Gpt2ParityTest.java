package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.jtune.util.IntList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GPT-2 built from encoder.json + vocab.bpe gives jtokkit's r50k_base ids on the whole corpus. */
class Gpt2ParityTest {
    private static final Encoding JTOKKIT = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    private static final String END_OF_TEXT = "<|endoftext|>";

    /** jtokkit's ids with <|endoftext|> matched as the special token 50256, as HF's GPT-2 does. */
    static int[] reference(String text) {
        IntList ids = new IntList(16);
        String[] parts = text.split(java.util.regex.Pattern.quote(END_OF_TEXT), -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) ids.add(50256);
            ids.addAll(JTOKKIT.encodeOrdinary(parts[i]).toArray());
        }
        return ids.toArray();
    }

    @Test
    void matchesJtokkitOnEveryCorpusText() {
        HfTokenizer gpt2 = TokenizerFixtures.gpt2();
        List<TokenizerFixtures.Reference> corpus = TokenizerFixtures.references("qwen3");
        for (TokenizerFixtures.Reference r : corpus) {
            assertArrayEquals(reference(r.text()), gpt2.encode(r.text(), false), "ids of " + TokenizerParityTest.quoted(r.text()));
            // GPT-2 adds no BOS/EOS.
            assertArrayEquals(gpt2.encode(r.text(), false), gpt2.encode(r.text(), true));
        }
    }

    /** Random strings of pieces that stress the split pattern and merging. */
    @Test
    void matchesJtokkitOnRandomTexts() {
        String[] pieces = {"a", "Z", "s", "t", "'", "re", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "1", "23", "²",
            ".", ",", "!", "-", "_", "你", "好", "é", "e\u0301", "🤖", "😀", "\u200b", "$", "Hello", " the", "ing", "ß", "Ω", "한"};
        java.util.Random random = new java.util.Random(3);
        HfTokenizer gpt2 = TokenizerFixtures.gpt2();
        for (int n = 0; n < 2000; n++) {
            StringBuilder b = new StringBuilder();
            for (int k = random.nextInt(16); k >= 0; k--) b.append(pieces[random.nextInt(pieces.length)]);
            String text = b.toString();
            int[] ids = gpt2.encode(text, false);
            assertArrayEquals(reference(text), ids, "ids of " + TokenizerParityTest.quoted(text));
            assertEquals(text, gpt2.decode(ids, false));
        }
    }

    @Test
    void decodesEveryCorpusTextBackExactly() {
        HfTokenizer gpt2 = TokenizerFixtures.gpt2();
        for (TokenizerFixtures.Reference r : TokenizerFixtures.references("qwen3")) {
            int[] ids = gpt2.encode(r.text(), false);
            assertEquals(r.text(), gpt2.decode(ids, false));
            assertEquals(r.text().replace(END_OF_TEXT, ""), gpt2.decode(ids, true));
            StreamingDecoder stream = gpt2.streamingDecoder(false);
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(stream.next(id));
            streamed.append(stream.finish());
            assertEquals(r.text(), streamed.toString());
        }
    }

    @Test
    void knowsItsVocabularyAndSpecialToken() {
        HfTokenizer gpt2 = TokenizerFixtures.gpt2();
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50256, gpt2.eosTokenId().getAsInt());
        assertEquals(50256, gpt2.bosTokenId().getAsInt());
        assertTrue(gpt2.padTokenId().isEmpty());
        assertEquals(15496, gpt2.tokenToId("Hello").getAsInt());
        assertEquals("ĠHello", gpt2.idToToken(18435));
        assertTrue(gpt2.isSpecial(50256));
        assertArrayEquals(new int[] {15496, 50256, 6894}, gpt2.encode("Hello<|endoftext|>world", false));
    }
}
