package io.jtune.train.reward;

import io.jtune.JtuneException;
import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Rewards that check a completion without a model: 1 when the check passes, 0 otherwise.
 * The answer-based ones compare the completion's answer (the first group of reward_answer_pattern,
 * or the whole completion when no pattern is set) with the dataset's answer (the pattern's text in
 * it when the pattern occurs there, otherwise all of it).
 */
public final class VerifiableRewards {
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d[\\d,]*(?:\\.\\d+)?|\\.\\d+)(?:[eE][-+]?\\d+)?");

    private VerifiableRewards() {}

    /** Where a completion's answer is: the first group of a pattern, or the whole text (pattern null). */
    public record AnswerPattern(Pattern pattern) {
        public static AnswerPattern of(String regex, String key) {
            return new AnswerPattern(regex == null || regex.isEmpty() ? null : compile(regex, key));
        }

        /** The answer in {@code completion}, or null when the pattern does not occur. */
        String extract(String completion) {
            if (pattern == null) return completion;
            Matcher m = pattern.matcher(completion);
            if (!m.find()) return null;
            return m.groupCount() >= 1 ? m.group(1) : m.group();
        }

        /**
         * The dataset's answer to compare with: the pattern's text in it when it occurs there (a GSM8K answer's
         * "#### 72", an order number in a reference reply), otherwise the whole answer.
         */
        String expected(String answer) {
            if (pattern == null) return answer;
            String found = extract(answer);
            return found != null ? found : answer;
        }
    }

    /** The completion's answer equals the dataset's answer, both trimmed. */
    public static RewardFunction exactMatch(AnswerPattern answer) {
        return s -> {
            String given = answer.extract(s.completion());
            return given != null && given.strip().equals(answer.expected(s.answer()).strip()) ? 1 : 0;
        };
    }

    /** Equal after {@link #normalize}: case, punctuation and spacing do not count. */
    public static RewardFunction normalizedMatch(AnswerPattern answer) {
        return s -> {
            String given = answer.extract(s.completion());
            return given != null && normalize(given).equals(normalize(answer.expected(s.answer()))) ? 1 : 0;
        };
    }

    /**
     * The completion's answer and the dataset's answer hold the same number within {@code tolerance}.
     * Without an answer pattern the last number of the completion counts; the dataset's answer's last
     * number counts too (so a GSM8K-style "... #### 72" answer reads as 72). Thousands commas are ignored.
     */
    public static RewardFunction numericMatch(AnswerPattern answer, double tolerance) {
        return s -> {
            String given = answer.extract(s.completion());
            Double got = given == null ? null : lastNumber(given);
            Double expected = lastNumber(answer.expected(s.answer()));
            return got != null && expected != null && Math.abs(got - expected) <= tolerance ? 1 : 0;
        };
    }

    /** The completion contains a match of {@code regex} (find; anchor with ^ and $ for the whole text; . matches newlines). */
    public static RewardFunction format(String regex, String key) {
        if (regex == null || regex.isEmpty()) {
            throw new JtuneException(key + ": the format reward needs reward_format_pattern (a regular expression)");
        }
        Pattern pattern = compile(regex, key);
        return s -> pattern.matcher(s.completion()).find() ? 1 : 0;
    }

    /** The completion has between {@code min} and {@code max} tokens (a final stop token not counted). */
    public static RewardFunction length(int min, int max, java.util.Set<Integer> stopIds) {
        return s -> {
            int n = s.completionIds().length;
            if (n > 0 && stopIds.contains(s.completionIds()[n - 1])) n--;
            return n >= min && n <= max ? 1 : 0;
        };
    }

    /** Lower case, compatibility forms folded, punctuation dropped, runs of spaces made one, trimmed. */
    static String normalize(String text) {
        String folded = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return folded.replaceAll("[\\p{P}\\p{S}]", "").replaceAll("\\s+", " ").strip();
    }

    /** The last number in {@code text}, or null. */
    static Double lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) last = m.group();
        if (last == null) return null;
        try {
            return Double.parseDouble(last.replace(",", ""));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Pattern compile(String regex, String key) {
        try {
            return Pattern.compile(regex, Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
            throw new JtuneException(key + ": '" + regex + "' is not a valid regular expression: " + e.getDescription());
        }
    }
}
