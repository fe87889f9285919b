package io.jtune.tokenizer.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tokenizer.json pre-tokenizer: cuts a normalized segment into the words the model encodes
 * one by one. Each step maps the current list of pieces to a finer one.
 */
public interface PreTokenizer {

    /**
     * @param pieces      the pieces so far
     * @param atTextStart whether {@code pieces.get(0)} begins at the very start of the input text
     *                    (Metaspace's prepend_scheme "first" prepends only there)
     */
    List<String> split(List<String> pieces, boolean atTextStart);

    /** GPT-2's split pattern, which ByteLevel uses when use_regex is true. */
    String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /**
     * Cuts each piece at the matches of a regex (or of a literal, quoted into one). For the split
     * patterns of GPT-2, Llama 3 and Qwen a {@link WordScanner} stands in for the regex.
     */
    record Split(Pattern pattern, SplitBehavior behavior, boolean invert, WordScanner scanner) implements PreTokenizer {
        public Split(Pattern pattern, SplitBehavior behavior, boolean invert) {
            this(pattern, behavior, invert, null);
        }

        /** A split by an HF regex, with a hand-written scanner when the pattern is a known one. */
        public static Split ofRegex(String hfPattern, SplitBehavior behavior, boolean invert) {
            return new Split(HfRegex.compile(hfPattern), behavior, invert, WordScanner.forPattern(hfPattern));
        }

        public List<String> split(List<String> pieces, boolean atTextStart) {
            List<String> out = new ArrayList<>(pieces.size() * 4);
            if (scanner != null && behavior == SplitBehavior.ISOLATED) {
                // Every match is its own piece and matches cover the text: no gaps to track.
                for (String piece : pieces) {
                    for (int i = 0, n = piece.length(); i < n; ) {
                        int end = scanner.matchEnd(piece, i);
                        out.add(piece.substring(i, end));
                        i = end;
                    }
                }
                return out;
            }
            List<String> parts = new ArrayList<>();
            List<Boolean> delimiter = new ArrayList<>();
            for (String piece : pieces) {
                parts.clear();
                delimiter.clear();
                Matcher m = pattern.matcher(piece);
                int previous = 0;
                while (m.find()) {
                    if (m.start() == m.end()) continue;
                    if (m.start() > previous) {
                        parts.add(piece.substring(previous, m.start()));
                        delimiter.add(invert);
                    }
                    parts.add(piece.substring(m.start(), m.end()));
                    delimiter.add(!invert);
                    previous = m.end();
                }
                if (previous < piece.length()) {
                    parts.add(piece.substring(previous));
                    delimiter.add(invert);
                }
                behavior.apply(parts, delimiter, out);
            }
            return out;
        }
    }

    /** Byte-level: optional prefix space, optional GPT-2 split, then bytes written as GPT-2's alphabet. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        private static final Split GPT2_SPLIT = Split.ofRegex(GPT2_PATTERN, SplitBehavior.ISOLATED, false);

        public List<String> split(List<String> pieces, boolean atTextStart) {
            if (addPrefixSpace) {
                List<String> spaced = new ArrayList<>(pieces.size());
                for (String p : pieces) spaced.add(p.startsWith(" ") ? p : " " + p);
                pieces = spaced;
            }
            if (useRegex) pieces = GPT2_SPLIT.split(pieces, atTextStart);
            List<String> out = new ArrayList<>(pieces.size());
            for (String p : pieces) out.add(ByteLevelAlphabet.encode(p));
            return out;
        }
    }

    /** When Metaspace puts its replacement character in front of a piece. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** SentencePiece style: spaces become "▁", a "▁" is prepended, and pieces start at each "▁". */
    record Metaspace(String replacement, PrependScheme prependScheme, boolean splitWords) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean atTextStart) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < pieces.size(); i++) {
                String p = pieces.get(i).replace(" ", replacement);
                boolean prepend = switch (prependScheme) {
                    case ALWAYS -> true;
                    case FIRST -> i == 0 && atTextStart;
                    case NEVER -> false;
                };
                if (prepend && !p.startsWith(replacement)) p = replacement + p;
                if (!splitWords) {
                    if (!p.isEmpty()) out.add(p);
                    continue;
                }
                int start = 0;
                for (int at = p.indexOf(replacement, 1); at >= 0; at = p.indexOf(replacement, at + replacement.length())) {
                    if (at > start) out.add(p.substring(start, at));
                    start = at;
                }
                if (start < p.length()) out.add(p.substring(start));
            }
            return out;
        }
    }

    /** Separates numeric characters, one by one or as runs. */
    record Digits(boolean individualDigits) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean atTextStart) {
            List<String> out = new ArrayList<>();
            List<String> parts = new ArrayList<>();
            List<Boolean> digit = new ArrayList<>();
            for (String piece : pieces) {
                parts.clear();
                digit.clear();
                int i = 0;
                while (i < piece.length()) {
                    int cp = piece.codePointAt(i);
                    int next = i + Character.charCount(cp);
                    boolean isDigit = isNumeric(cp);
                    parts.add(piece.substring(i, next));
                    digit.add(isDigit);
                    i = next;
                }
                if (individualDigits) {
                    // Non-digit characters are joined back into runs; every digit stands alone.
                    StringBuilder run = new StringBuilder();
                    for (int k = 0; k < parts.size(); k++) {
                        if (digit.get(k)) {
                            if (!run.isEmpty()) out.add(run.toString());
                            run.setLength(0);
                            out.add(parts.get(k));
                        } else {
                            run.append(parts.get(k));
                        }
                    }
                    if (!run.isEmpty()) out.add(run.toString());
                } else {
                    StringBuilder run = new StringBuilder();
                    Boolean runIsDigit = null;
                    for (int k = 0; k < parts.size(); k++) {
                        if (runIsDigit != null && runIsDigit != digit.get(k)) {
                            out.add(run.toString());
                            run.setLength(0);
                        }
                        runIsDigit = digit.get(k);
                        run.append(parts.get(k));
                    }
                    if (!run.isEmpty()) out.add(run.toString());
                }
            }
            return out;
        }

        /** Rust's char::is_numeric: general categories Nd, Nl and No. */
        static boolean isNumeric(int cp) {
            int type = Character.getType(cp);
            return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean atTextStart) {
            for (PreTokenizer step : steps) pieces = step.split(pieces, atTextStart);
            return pieces;
        }
    }
}
