package io.jtune.tokenizer;

import io.jtune.tokenizer.text.WordScanner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in a text, leftmost first and longest at a position, as HF's AddedVocabulary
 * does, and cuts the text around them. A candidate is indexed by its first character, so scanning
 * a text with no added tokens costs one map probe per character that starts one.
 */
final class AddedTokenSplitter {

    /** A piece of the input: either plain text ({@code token == null}) or one added token. */
    record Segment(String text, AddedToken token, int start) {
        boolean isToken() {
            return token != null;
        }
    }

    private final Map<Character, List<AddedToken>> byFirstChar = new HashMap<>();
    private final boolean[] isFirstChar = new boolean[65536];  // the fast "no token starts here" test

    AddedTokenSplitter(Collection<AddedToken> tokens) {
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            byFirstChar.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
            isFirstChar[t.content().charAt(0)] = true;
        }
        Comparator<AddedToken> longestFirst = Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed();
        byFirstChar.values().forEach(list -> list.sort(longestFirst));
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /**
     * Cuts {@code text} (which starts at {@code offset} of the input) into text and token segments.
     * Whitespace swallowed by lstrip / rstrip belongs to no segment.
     */
    List<Segment> split(String text, int offset) {
        List<Segment> out = new ArrayList<>();
        int textStart = 0;  // start of the pending plain-text segment
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            List<AddedToken> candidates = isFirstChar[c] ? byFirstChar.get(c) : null;
            AddedToken match = null;
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (text.startsWith(t.content(), i)) {
                        match = t;
                        break;
                    }
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            int end = i + match.content().length();
            if (match.singleWord() && !standsAlone(text, i, end)) {
                i = end;  // like a rejected leftmost-longest match: scanning goes on after it
                continue;
            }
            int start = i;
            // Rust's char::is_whitespace, i.e. Unicode White_Space (it includes U+00A0, unlike Java's).
            if (match.lstrip()) while (start > textStart && WordScanner.isSpace(text.charAt(start - 1))) start--;
            if (match.rstrip()) while (end < text.length() && WordScanner.isSpace(text.charAt(end))) end++;
            if (start > textStart) out.add(new Segment(text.substring(textStart, start), null, offset + textStart));
            out.add(new Segment(match.content(), match, offset + i));
            textStart = end;
            i = end;
        }
        if (textStart < text.length()) out.add(new Segment(text.substring(textStart), null, offset + textStart));
        return out;
    }

    private static boolean standsAlone(String text, int start, int end) {
        boolean leftOk = start == 0 || !isWordChar(text.codePointBefore(start));
        boolean rightOk = end == text.length() || !isWordChar(text.codePointAt(end));
        return leftOk && rightOk;
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }
}
