package io.jtune.tokenizer.sentencepiece;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * sentencepiece's normalizer, on the text's UTF-8 bytes as the library works: at each position a
 * user-defined symbol is copied whole; otherwise the longest match of the model's precompiled
 * character map (its normalization rule, e.g. nmt_nfkc; none for "identity", the rule LLaMA's and
 * ChatGLM's tokenizer.model use) is replaced by its normalized text, or one character is copied.
 * Each space then becomes ▁ (U+2581) when escape_whitespaces is on; add_dummy_prefix puts one ▁
 * before the text (after it with treat_whitespace_as_suffix); remove_extra_whitespaces drops
 * leading and trailing spaces and collapses runs of them to one. Only U+0020 counts as a space.
 * Empty text (or only spaces, when they are removed) normalizes to empty text, without the prefix.
 */
final class SentencePieceNormalizer {
    static final String SPACE_SYMBOL = "\u2581";
    private static final byte[] SPACE_BYTES = SPACE_SYMBOL.getBytes(StandardCharsets.UTF_8);

    private final SentencePieceModelProto.Normalization spec;
    private final boolean whitespaceAsSuffix;
    private final List<byte[]> userDefined;   // longest first
    private final PrecompiledCharsMap charsMap; // null: identity

    SentencePieceNormalizer(SentencePieceModelProto.Normalization spec, boolean whitespaceAsSuffix, List<String> userDefinedLongestFirst,
                            PrecompiledCharsMap charsMap) {
        this.spec = spec;
        this.whitespaceAsSuffix = whitespaceAsSuffix;
        this.userDefined = userDefinedLongestFirst.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        this.charsMap = charsMap;
    }

    /** One normalization step: the replacement text and how many input bytes it consumes. */
    private record Prefix(byte[] text, int consumed) {}

    String normalize(String text) {
        byte[] input = text.getBytes(StandardCharsets.UTF_8);
        int pos = 0, n = input.length;
        if (spec.removeExtraWhitespaces()) {
            while (pos < n) {
                Prefix p = prefix(input, pos);
                if (!(p.text().length == 1 && p.text()[0] == ' ')) break;
                pos += p.consumed();
            }
        }
        if (pos >= n) return "";
        byte[] space = spec.escapeWhitespaces() ? SPACE_BYTES : new byte[] {' '};
        ByteArrayOutputStream out = new ByteArrayOutputStream(2 * (n - pos) + 3);
        if (!whitespaceAsSuffix && spec.addDummyPrefix()) out.writeBytes(space);
        boolean prevSpace = spec.removeExtraWhitespaces();
        while (pos < n) {
            Prefix p = prefix(input, pos);
            byte[] unit = p.text();
            int start = 0;
            while (prevSpace && start < unit.length && unit[start] == ' ') start++;
            if (start < unit.length) {
                for (int i = start; i < unit.length; i++) {
                    if (unit[i] == ' ' && spec.escapeWhitespaces()) out.writeBytes(space);
                    else out.write(unit[i]);
                }
                prevSpace = unit[unit.length - 1] == ' ';
            }
            pos += p.consumed();
            if (!spec.removeExtraWhitespaces()) prevSpace = false;
        }
        byte[] bytes = out.toByteArray();
        int length = bytes.length;
        if (spec.removeExtraWhitespaces()) {
            while (length >= space.length && endsWith(bytes, length, space)) length -= space.length;
        }
        String result = new String(bytes, 0, length, StandardCharsets.UTF_8);
        if (whitespaceAsSuffix && spec.addDummyPrefix()) result += new String(space, StandardCharsets.UTF_8);
        return result;
    }

    private Prefix prefix(byte[] input, int pos) {
        for (byte[] symbol : userDefined) {
            if (startsWith(input, pos, symbol)) return new Prefix(symbol, symbol.length);
        }
        if (charsMap != null) {
            PrecompiledCharsMap.Match m = charsMap.longestMatch(input, pos);
            if (m != null) return new Prefix(m.replacement(), m.length());
        }
        int length = Math.min(input.length - pos, utf8Length(input[pos]));
        byte[] one = new byte[length];
        System.arraycopy(input, pos, one, 0, length);
        return new Prefix(one, length);
    }

    private static int utf8Length(byte lead) {
        int b = lead & 0xFF;
        if (b < 0x80) return 1;
        if (b >= 0xF0) return 4;
        if (b >= 0xE0) return 3;
        if (b >= 0xC0) return 2;
        return 1;
    }

    private static boolean startsWith(byte[] s, int pos, byte[] prefix) {
        if (pos + prefix.length > s.length) return false;
        for (int i = 0; i < prefix.length; i++) if (s[pos + i] != prefix[i]) return false;
        return true;
    }

    private static boolean endsWith(byte[] s, int length, byte[] suffix) {
        for (int i = 0; i < suffix.length; i++) if (s[length - suffix.length + i] != suffix[i]) return false;
        return true;
    }
}
