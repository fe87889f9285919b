package io.jtune.infer.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * jtune's stand-in for jieba.cut (there is no jieba for the JVM), used before ROUGE. It follows
 * jieba's token boundaries everywhere except inside runs of Chinese characters:
 * <ul>
 *   <li>each Han character (CJK ideographs, U+3400-U+9FFF, U+F900-U+FAFF, supplementary planes)
 *       is one token, where jieba would look words up in its dictionary (so 北京大学 is four tokens
 *       here and one or two in jieba: ROUGE on Chinese text differs from LLaMA-Factory's);</li>
 *   <li>a run of ASCII letters and digits, optionally with a decimal part and a percent sign
 *       ("abc", "3.14", "50%") is one token, as jieba's HMM fallback keeps it;</li>
 *   <li>a run of the symbols + # &amp; . _ % - between them ("--", "...", "&amp;+") is one token, as
 *       jieba's HMM fallback splits such runs off whole;</li>
 *   <li>"\r\n" and every other whitespace character is a token of its own, as in jieba;</li>
 *   <li>every other character (punctuation, kana, Hangul, accented letters, emoji) is a token of
 *       its own, as jieba yields characters outside its Han/alphanumeric blocks.</li>
 * </ul>
 * BLEU does not use this: LLaMA-Factory scores BLEU over the raw characters.
 */
public final class CjkSegmenter {
    private CjkSegmenter() {}

    public static List<String> segment(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (cp == '\r' && next < n && text.charAt(next) == '\n') {
                next++;
            } else if (isAsciiAlnum(cp)) {
                next = endOfAlnumRun(text, i);
            } else if (isJoiner(cp)) {
                while (next < n && isJoiner(text.charAt(next))) next++;
            }
            tokens.add(text.substring(i, next));
            i = next;
        }
        return tokens;
    }

    /** The symbols jieba's word pattern [a-zA-Z0-9+#&._%-] admits besides letters and digits. */
    private static boolean isJoiner(int c) {
        return c == '+' || c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
    }

    private static boolean isAsciiAlnum(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** [a-zA-Z0-9]+(\.\d+)?%? starting at i. */
    private static int endOfAlnumRun(String s, int i) {
        int j = i;
        while (j < s.length() && isAsciiAlnum(s.charAt(j))) j++;
        if (j + 1 < s.length() && s.charAt(j) == '.' && Character.isDigit(s.charAt(j + 1)) && s.charAt(j + 1) < 128) {
            j++;
            while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') j++;
        }
        if (j < s.length() && s.charAt(j) == '%') j++;
        return j;
    }
}
