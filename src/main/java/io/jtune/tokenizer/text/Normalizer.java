package io.jtune.tokenizer.text;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json normalizer: rewrites a text segment before it is split into words. */
public interface Normalizer {
    String normalize(String text);

    /** Unicode normalization (NFC, NFKC, NFD, NFKD). */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        public String normalize(String text) {
            // The check is much cheaper than the rewrite and most text is already normalized.
            return java.text.Normalizer.isNormalized(text, form) ? text : java.text.Normalizer.normalize(text, form);
        }
    }

    record Lowercase() implements Normalizer {
        public String normalize(String text) {
            return text.toLowerCase(Locale.ROOT);
        }
    }

    /** Puts a string in front of a non-empty segment (SentencePiece's "▁" before the first word). */
    record Prepend(String prefix) implements Normalizer {
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /** Replaces every match of a regex, or of a literal string (then without the regex engine). */
    record Replace(Pattern pattern, String literal, String content) implements Normalizer {
        public String normalize(String text) {
            if (literal != null) return text.replace(literal, content);
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /** Strips Unicode whitespace (Rust's char::is_whitespace) on the left and/or right. */
    record Strip(boolean left, boolean right) implements Normalizer {
        public String normalize(String text) {
            int start = 0, end = text.length();
            if (left) while (start < end && WordScanner.isSpace(text.charAt(start))) start++;
            if (right) while (end > start && WordScanner.isSpace(text.charAt(end - 1))) end--;
            return text.substring(start, end);
        }
    }

    record Sequence(List<Normalizer> steps) implements Normalizer {
        public String normalize(String text) {
            for (Normalizer step : steps) text = step.normalize(text);
            return text;
        }
    }
}
