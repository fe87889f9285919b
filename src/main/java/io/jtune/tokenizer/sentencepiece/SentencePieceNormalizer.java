package io.jtune.tokenizer.sentencepiece;

import java.util.List;

/**
 * sentencepiece's normalizer for models without a character map (normalization rule "identity",
 * the one LLaMA's and ChatGLM's tokenizer.model use): characters are kept as they are, a
 * user-defined symbol is copied whole, each space becomes ▁ (U+2581) when escape_whitespaces is on;
 * add_dummy_prefix puts one ▁ before the text (after it with treat_whitespace_as_suffix);
 * remove_extra_whitespaces drops leading and trailing spaces and collapses runs of them to one.
 * Only U+0020 counts as a space, as in sentencepiece; empty text (or only spaces, when they are
 * removed) normalizes to empty text, without the prefix.
 */
final class SentencePieceNormalizer {
    static final String SPACE_SYMBOL = "\u2581";

    private final SentencePieceModelProto.Normalization spec;
    private final boolean whitespaceAsSuffix;
    private final List<String> userDefined;   // longest first

    SentencePieceNormalizer(SentencePieceModelProto.Normalization spec, boolean whitespaceAsSuffix, List<String> userDefinedLongestFirst) {
        this.spec = spec;
        this.whitespaceAsSuffix = whitespaceAsSuffix;
        this.userDefined = userDefinedLongestFirst;
    }

    String normalize(String input) {
        int pos = 0, n = input.length();
        if (spec.removeExtraWhitespaces()) {
            while (pos < n && input.charAt(pos) == ' ') pos++;
        }
        if (pos >= n) return "";
        String space = spec.escapeWhitespaces() ? SPACE_SYMBOL : " ";
        StringBuilder out = new StringBuilder(2 * (n - pos) + 1);
        if (!whitespaceAsSuffix && spec.addDummyPrefix()) out.append(space);
        boolean prevSpace = spec.removeExtraWhitespaces();
        while (pos < n) {
            int length = unitLength(input, pos);
            String unit = input.substring(pos, pos + length);
            int skip = 0;
            while (prevSpace && skip < unit.length() && unit.charAt(skip) == ' ') skip++;
            unit = unit.substring(skip);
            if (!unit.isEmpty()) {
                for (int i = 0; i < unit.length(); i++) {
                    char c = unit.charAt(i);
                    if (c == ' ') out.append(space);
                    else out.append(c);
                }
                prevSpace = unit.endsWith(" ");
            }
            pos += length;
            if (!spec.removeExtraWhitespaces()) prevSpace = false;
        }
        if (spec.removeExtraWhitespaces()) {
            while (out.length() >= space.length() && out.lastIndexOf(space) == out.length() - space.length()) {
                out.setLength(out.length() - space.length());
            }
        }
        if (whitespaceAsSuffix && spec.addDummyPrefix()) out.append(space);
        return out.toString();
    }

    /** The length of the next unit: the longest user-defined symbol that starts here, else one character. */
    private int unitLength(String s, int pos) {
        for (String symbol : userDefined) if (s.startsWith(symbol, pos)) return symbol.length();
        return Character.charCount(s.codePointAt(pos));
    }
}
