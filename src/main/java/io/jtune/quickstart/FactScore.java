package io.jtune.quickstart;

import java.util.List;

/**
 * How many held-out questions a model answered with the right fact, in all and per language.
 *
 * @param english right answers to the English questions, and how many there were
 * @param chinese the same for the Chinese questions
 */
public record FactScore(Tally english, Tally chinese) {
    /** {@code right} of {@code total}. */
    public record Tally(int right, int total) {
        public double percent() {
            return total == 0 ? 0 : 100.0 * right / total;
        }

        @Override
        public String toString() {
            return String.format("%d/%d (%.0f%%)", right, total, percent());
        }
    }

    /** Scores {@code answers}, the i-th answering {@code questions.get(i)}. */
    public static FactScore of(List<HeldOutQuestion> questions, List<String> answers) {
        if (questions.size() != answers.size()) throw new IllegalArgumentException(questions.size() + " questions, " + answers.size() + " answers");
        int enRight = 0, enTotal = 0, zhRight = 0, zhTotal = 0;
        for (int i = 0; i < questions.size(); i++) {
            HeldOutQuestion q = questions.get(i);
            boolean right = q.isStatedIn(answers.get(i));
            if (q.lang().equals("en")) {
                enTotal++;
                if (right) enRight++;
            } else {
                zhTotal++;
                if (right) zhRight++;
            }
        }
        return new FactScore(new Tally(enRight, enTotal), new Tally(zhRight, zhTotal));
    }

    public Tally total() {
        return new Tally(english.right + chinese.right, english.total + chinese.total);
    }
}
