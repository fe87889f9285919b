package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.tokenizer.text.ByteLevelAlphabet;
import io.jtune.tokenizer.text.Decoder;
import io.jtune.tokenizer.text.HfRegex;
import io.jtune.tokenizer.text.Normalizer;
import io.jtune.tokenizer.text.PreTokenizer;
import io.jtune.tokenizer.text.SplitBehavior;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Each normalizer, pre-tokenizer and decoder on small inputs whose HF results are worked out by hand. */
class TokenizerComponentsTest {

    private static List<String> split(PreTokenizer p, String text) {
        return p.split(List.of(text), true);
    }

    @Test
    void splitBehaviorsTreatDelimitersAsHfDoes() {
        Pattern dash = Pattern.compile("-");
        String text = "a-b--c";
        assertEquals(List.of("a", "b", "c"), split(new PreTokenizer.Split(dash, SplitBehavior.REMOVED, false), text));
        assertEquals(List.of("a", "-", "b", "-", "-", "c"), split(new PreTokenizer.Split(dash, SplitBehavior.ISOLATED, false), text));
        assertEquals(List.of("a-", "b-", "-", "c"), split(new PreTokenizer.Split(dash, SplitBehavior.MERGED_WITH_PREVIOUS, false), text));
        assertEquals(List.of("a", "-b", "-", "-c"), split(new PreTokenizer.Split(dash, SplitBehavior.MERGED_WITH_NEXT, false), text));
        assertEquals(List.of("a", "-", "b", "--", "c"), split(new PreTokenizer.Split(dash, SplitBehavior.CONTIGUOUS, false), text));
        // invert: the matches are the content and the rest are the delimiters.
        assertEquals(List.of("12", "3"), split(new PreTokenizer.Split(Pattern.compile("\\d+"), SplitBehavior.REMOVED, true), "ab12cd3"));
    }

    @Test
    void hfRegexWhitespaceIsUnicodeWhitespace() {
        // Qwen2/3's pattern: \s+(?!\S) must see U+3000 as whitespace, as Oniguruma does.
        String qwen = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        PreTokenizer.Split split = new PreTokenizer.Split(HfRegex.compile(qwen), SplitBehavior.ISOLATED, false);
        assertEquals(List.of("a", "\u3000", "\u3000b"), split(split, "a\u3000\u3000b"));
        assertEquals(List.of("Hello", "  ", " world", "\n\n", " ", " x", " ", "1", "2", "3", "'S"), split(split, "Hello   world\n\n  x 123'S"));
        // Llama 3's pattern groups digits by three.
        String llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        PreTokenizer.Split l3 = new PreTokenizer.Split(HfRegex.compile(llama3), SplitBehavior.ISOLATED, false);
        assertEquals(List.of("123", "456", "7", " x"), split(l3, "1234567 x"));
        assertEquals(List.of("[^\\s\\x{85}"), List.of(HfRegex.compile("[^\\s]").pattern().substring(0, 10)));
        // Oniguruma's bare script names.
        assertEquals(List.of("ab", "中文", "cd", "ひら"), split(new PreTokenizer.Split(HfRegex.compile("\\p{Han}+|\\p{Hiragana}+"), SplitBehavior.ISOLATED, false), "ab中文cdひら"));
        assertEquals(List.of("a", "!?", "b"), split(new PreTokenizer.Split(HfRegex.compile("\\p{P}+"), SplitBehavior.ISOLATED, false), "a!?b"));
    }

    @Test
    void byteLevelPreTokenizerWritesBytesInGpt2Alphabet() {
        assertEquals(List.of("ĠHello", "Ġworld", "!"), split(new PreTokenizer.ByteLevel(true, true), "Hello world!"));
        assertEquals(List.of("ä½łå¥½"), split(new PreTokenizer.ByteLevel(false, false), "你好"));
        assertEquals('Ġ', ByteLevelAlphabet.charOf(' '));
        assertEquals(' ', ByteLevelAlphabet.byteOf('Ġ'));
    }

    @Test
    void metaspaceHonoursPrependSchemeAndSplit() {
        PreTokenizer always = new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.ALWAYS, true);
        assertEquals(List.of("▁Hello", "▁", "▁world"), split(always, "Hello  world"));
        PreTokenizer first = new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.FIRST, false);
        assertEquals(List.of("▁a▁b"), first.split(List.of("a b"), true));
        assertEquals(List.of("a▁b"), first.split(List.of("a b"), false));
        PreTokenizer never = new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.NEVER, true);
        assertEquals(List.of("a", "▁b"), split(never, "a b"));
    }

    @Test
    void digitsIsolatesOrGroupsNumbers() {
        assertEquals(List.of("ab", "1", "2", "3", "c", "4"), split(new PreTokenizer.Digits(true), "ab123c4"));
        assertEquals(List.of("ab", "123", "c", "4"), split(new PreTokenizer.Digits(false), "ab123c4"));
        assertEquals(List.of("x", "١٢"), split(new PreTokenizer.Digits(false), "x١٢"));
    }

    @Test
    void normalizers() {
        assertEquals("fi 2", new Normalizer.Unicode(java.text.Normalizer.Form.NFKC).normalize("ﬁ ²"));
        assertEquals("é", new Normalizer.Unicode(java.text.Normalizer.Form.NFC).normalize("e\u0301"));
        assertEquals(2, new Normalizer.Unicode(java.text.Normalizer.Form.NFD).normalize("é").length());
        assertEquals("straße ä", new Normalizer.Lowercase().normalize("STRAßE Ä"));
        assertEquals("", new Normalizer.Prepend("▁").normalize(""));
        assertEquals("▁a", new Normalizer.Prepend("▁").normalize("a"));
        assertEquals("a▁b", new Normalizer.Replace(null, " ", "▁").normalize("a b"));
        assertEquals("a_b_", new Normalizer.Replace(Pattern.compile("\\s+"), null, "_").normalize("a \t b\n"));
        assertEquals("x ", new Normalizer.Strip(true, false).normalize(" \u00a0x "));
        assertEquals("\u3000x", new Normalizer.Strip(false, true).normalize("\u3000x\u2028"));
        assertEquals("▁a▁b", new Normalizer.Sequence(List.of(new Normalizer.Prepend("▁"), new Normalizer.Replace(null, " ", "▁"))).normalize("a b"));
    }

    @Test
    void decoders() {
        assertEquals(List.of("你", "x"), new Decoder.ByteFallback().decode(List.of("<0xE4>", "<0xBD>", "<0xA0>", "x")));
        // HF: a byte run that is not valid UTF-8 gives one U+FFFD per byte.
        assertEquals(List.of("\uFFFD", "\uFFFD", "y"), new Decoder.ByteFallback().decode(List.of("<0xE4>", "<0xBD>", "y")));
        assertEquals(List.of("ab"), new Decoder.Fuse().decode(List.of("a", "b")));
        assertEquals(List.of(" a ", "b"), new Decoder.Strip(" ", 1, 0).decode(List.of("  a ", " b")));
        assertEquals(List.of("a "), new Decoder.Strip(" ", 0, 2).decode(List.of("a   ")));
        assertEquals(List.of("Hello", " world"), new Decoder.Metaspace("▁", true).decode(List.of("▁Hello", "▁world")));
        assertEquals(List.of(" Hello"), new Decoder.Metaspace("▁", false).decode(List.of("▁Hello")));
        assertEquals(List.of("Hello world"), new Decoder.ByteLevel().decode(List.of("Hello", "Ġworld")));
        assertEquals(List.of("你<think>"), new Decoder.ByteLevel().decode(List.of("ä½ł", "<think>")));
        assertEquals(List.of("a b"), new Decoder.Replace(Pattern.compile(Pattern.quote("▁")), " ").decode(List.of("a▁b")));
    }
}
