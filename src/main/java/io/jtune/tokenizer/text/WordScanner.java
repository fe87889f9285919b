package io.jtune.tokenizer.text;

/**
 * Hand-written matchers for the split regexes of GPT-2, Llama 3 and Qwen2/2.5/3, several times
 * faster than java.util.regex on them. Each pattern matches at every position of any text (its
 * alternatives cover letters, numbers, whitespace and everything else), so a scanner only has to
 * say where the match that starts at a position ends, trying the alternatives in the regex's order.
 * SplitPatternParityTest and WordScannerTest check them against the regexes.
 */
public interface WordScanner {

    /** The end of the regex match that starts at {@code start} (always > start). */
    int matchEnd(String s, int start);

    /** The scanner for one of the known patterns, or null for any other pattern. */
    static WordScanner forPattern(String hfPattern) {
        if (hfPattern.equals(PreTokenizer.GPT2_PATTERN)) return Gpt2.INSTANCE;
        if (hfPattern.equals(Llama3.LLAMA3_PATTERN)) return new Llama3(3);
        if (hfPattern.equals(Llama3.QWEN2_PATTERN)) return new Llama3(1);
        return null;
    }

    /** Oniguruma's {@code \s}: Unicode White_Space (see HfRegex). */
    static boolean isSpace(int c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** {@code \p{L}} */
    static boolean isLetter(int c) {
        return c < 0x80 ? ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') : Character.isLetter(c);
    }

    /** {@code \p{N}} */
    static boolean isNumber(int c) {
        if (c < 0x80) return c >= '0' && c <= '9';
        int type = Character.getType(c);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    /** {@code [^\s\p{L}\p{N}]} */
    static boolean isOther(int c) {
        return !isSpace(c) && !isLetter(c) && !isNumber(c);
    }

    static int cp(String s, int i) {
        return i < s.length() ? s.codePointAt(i) : -1;
    }

    static int next(String s, int i) {
        return i + Character.charCount(s.codePointAt(i));
    }

    /** The end of the run of code points from {@code i} that are letters (which=0), numbers (1) or others (2). */
    static int runEnd(String s, int i, int which) {
        int n = s.length();
        while (i < n) {
            int c = s.codePointAt(i);
            boolean in = which == 0 ? isLetter(c) : which == 1 ? isNumber(c) : isOther(c);
            if (!in) break;
            i += Character.charCount(c);
        }
        return i;
    }

    /** 's 't 're 've 'm 'll 'd at {@code i}: the end, or -1. ASCII case-insensitive when asked. */
    static int contraction(String s, int i, boolean ignoreCase) {
        if (s.charAt(i) != '\'' || i + 1 >= s.length()) return -1;
        char a = s.charAt(i + 1), b = i + 2 < s.length() ? s.charAt(i + 2) : 0;
        if (ignoreCase) {
            a = a < 0x80 ? Character.toLowerCase(a) : a;
            b = b < 0x80 ? Character.toLowerCase(b) : b;
        }
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return -1;
    }

    /** {@code \s+(?!\S)} then {@code \s+}, for a whitespace run starting at {@code i}. */
    static int whitespace(String s, int i) {
        int j = i;
        int last = i;  // start of the run's last code point
        while (j < s.length() && isSpace(s.codePointAt(j))) {
            last = j;
            j = next(s, j);
        }
        if (j == s.length()) return j;        // \s+(?!\S) takes the run to the end of the text
        if (last > i) return last;            // ... or all but its last character before a non-space
        return j;                             // \s+ : a single whitespace character
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    final class Gpt2 implements WordScanner {
        static final Gpt2 INSTANCE = new Gpt2();

        public int matchEnd(String s, int i) {
            int end = contraction(s, i, false);
            if (end > 0) return end;
            int c = s.codePointAt(i);
            int from = i;
            if (c == ' ' && i + 1 < s.length()) {
                from = i + 1;
                c = s.codePointAt(from);
            }
            if (isLetter(c)) return runEnd(s, from, 0);
            if (isNumber(c)) return runEnd(s, from, 1);
            if (isOther(c)) return runEnd(s, from, 2);
            return whitespace(s, i);
        }
    }

    /**
     * Llama 3 ({@code \p{N}{1,3}}) and Qwen2 ({@code \p{N}}):
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
     */
    final class Llama3 implements WordScanner {
        static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

        private final int maxDigits;

        Llama3(int maxDigits) {
            this.maxDigits = maxDigits;
        }

        public int matchEnd(String s, int i) {
            int end = contraction(s, i, true);
            if (end > 0) return end;
            int c = s.codePointAt(i);
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (isLetter(c)) return runEnd(s, i, 0);
            if (c != '\r' && c != '\n' && !isNumber(c)) {
                int after = next(s, i);
                if (after < s.length() && isLetter(s.codePointAt(after))) return runEnd(s, after, 0);
            }
            // \p{N}{1,maxDigits}
            if (isNumber(c)) {
                int j = i;
                for (int k = 0; k < maxDigits && j < s.length() && isNumber(s.codePointAt(j)); k++) j = next(s, j);
                return j;
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            int from = c == ' ' && i + 1 < s.length() ? i + 1 : i;
            if (isOther(s.codePointAt(from))) {
                int j = runEnd(s, from, 2);
                while (j < s.length() && (s.charAt(j) == '\r' || s.charAt(j) == '\n')) j++;
                return j;
            }
            // \s*[\r\n]+ : the whitespace run up to and including its last line break
            int j = i, lastBreak = -1;
            while (j < s.length() && isSpace(s.codePointAt(j))) {
                if (s.charAt(j) == '\r' || s.charAt(j) == '\n') lastBreak = j;
                j = next(s, j);
            }
            if (lastBreak >= 0) return lastBreak + 1;
            return whitespace(s, i);
        }
    }
}
