package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jtune.tokenizer.text.HfRegex;
import io.jtune.tokenizer.text.PreTokenizer;
import io.jtune.tokenizer.text.SplitBehavior;
import io.jtune.tokenizer.text.WordScanner;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written scanners split random tricky texts exactly as the regexes they replace. */
class WordScannerTest {
    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Letters, digits, contraction parts, punctuation, several kinds of whitespace, CJK, an emoji. */
    private static final String[] ALPHABET = {"a", "Z", "s", "t", "S", "r", "e", "l", "L", "d", "'", " ", " ", "  ", "\t",
        "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "1", "٣", "²", "Ⅷ", ".", ",", "!", "-", "_", "(", "你",
        "é", "\u0301", "🤖", "\u200b", "\u000b", "$", "`"};

    @Test
    void scannersAreUsedOnlyForTheirPatterns() {
        assertNotNull(WordScanner.forPattern(PreTokenizer.GPT2_PATTERN));
        assertNotNull(WordScanner.forPattern(LLAMA3));
        assertNotNull(WordScanner.forPattern(QWEN2));
        assertNull(WordScanner.forPattern("\\s+"));
    }

    @Test
    void scannersSplitRandomTextsLikeTheRegexes() {
        Random random = new Random(7);
        for (String pattern : List.of(PreTokenizer.GPT2_PATTERN, LLAMA3, QWEN2)) {
            PreTokenizer regex = new PreTokenizer.Split(HfRegex.compile(pattern), SplitBehavior.ISOLATED, false);
            PreTokenizer scanner = PreTokenizer.Split.ofRegex(pattern, SplitBehavior.ISOLATED, false);
            for (int n = 0; n < 3000; n++) {
                StringBuilder b = new StringBuilder();
                int length = 1 + random.nextInt(14);
                for (int k = 0; k < length; k++) b.append(ALPHABET[random.nextInt(ALPHABET.length)]);
                String text = b.toString();
                assertEquals(regex.split(List.of(text), true), scanner.split(List.of(text), true),
                        "pattern " + pattern + " on " + TokenizerParityTest.quoted(text));
            }
        }
    }
}
