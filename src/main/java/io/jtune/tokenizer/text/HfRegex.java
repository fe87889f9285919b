package io.jtune.tokenizer.text;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regular expressions of tokenizer.json (written for Oniguruma, which HF tokenizers
 * uses) with java.util.regex.
 *
 * <p>The one difference that matters for the Llama/Qwen/GPT-2 split patterns is {@code \s}: in
 * Oniguruma it is Unicode White_Space (it includes U+00A0, U+3000, U+2028...), in Java only ASCII
 * whitespace. Instead of {@code UNICODE_CHARACTER_CLASS} (which slows every class down) each
 * {@code \s} / {@code \S} is rewritten to name the extra characters explicitly.
 * {@code \p{L}}, {@code \p{N}}, {@code (?i:...)} and lookahead {@code (?!\S)} mean the same in both.
 * Oniguruma also takes script names bare ({@code \p{Han}}); Java wants {@code \p{IsHan}}.
 */
public final class HfRegex {
    /** Unicode White_Space beyond Java's ASCII {@code \s}. */
    private static final String EXTRA_SPACE = "\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

    private HfRegex() {}

    public static Pattern compile(String hfPattern) throws PatternSyntaxException {
        return Pattern.compile(translate(hfPattern));
    }

    /** Rewrites {@code \s} and {@code \S} inside and outside character classes. */
    static String translate(String pattern) {
        StringBuilder out = new StringBuilder(pattern.length() + 64);
        int classDepth = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                char e = pattern.charAt(i + 1);
                i++;
                if (e == 's') {
                    out.append(classDepth > 0 ? "\\s" + EXTRA_SPACE : "[\\s" + EXTRA_SPACE + "]");
                } else if (e == 'S') {
                    // Inside a class too: Java takes a nested class as a union operand.
                    out.append("[^\\s").append(EXTRA_SPACE).append(']');
                } else if ((e == 'p' || e == 'P') && i + 1 < pattern.length() && pattern.charAt(i + 1) == '{') {
                    int close = pattern.indexOf('}', i + 1);
                    if (close < 0) {
                        out.append('\\').append(e);
                        continue;
                    }
                    String name = pattern.substring(i + 2, close);
                    // One- and two-letter names are general categories, which Java takes as they are.
                    boolean script = name.length() > 2 && !name.startsWith("Is") && !name.startsWith("In") && !name.contains("=");
                    out.append('\\').append(e).append('{').append(script ? "Is" + name : name).append('}');
                    i = close;
                } else {
                    out.append('\\').append(e);
                }
                continue;
            }
            if (c == '[') classDepth++;
            else if (c == ']' && classDepth > 0) classDepth--;
            out.append(c);
        }
        return out.toString();
    }
}
