package io.jtune.infer.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L as the rouge-chinese package (1.0.3) computes them with its
 * defaults, which is what LLaMA-Factory calls: the space-joined texts are cut into sentences at
 * Chinese/English sentence ends, each sentence's whitespace is collapsed, and words are the
 * space-separated pieces of all sentences in order.
 * <ul>
 *   <li>ROUGE-N counts <em>distinct</em> n-grams (its default exclusive=True: sets, not multisets):
 *       p = |H ∩ R| / |H|, r = |H ∩ R| / |R|.</li>
 *   <li>ROUGE-L uses the longest common subsequence of the two whole word lists:
 *       p = LCS / |hyp words|, r = LCS / |ref words|.</li>
 *   <li>Both report f = 2·(p·r / (p + r + 1e-8)).</li>
 * </ul>
 */
public final class RougeChinese {
    private static final Pattern SENTENCE_END = Pattern.compile("([。！？?])([^”’])");
    private static final Pattern SIX_DOTS = Pattern.compile("(\\.{6})([^”’])");
    private static final Pattern TWO_ELLIPSES = Pattern.compile("(…{2})([^”’])");
    private static final Pattern QUOTED_END = Pattern.compile("([。！？?][”’])([^，。！？?])");

    private RougeChinese() {}

    public record Score(double precision, double recall, double f) {}

    public record Scores(Score rouge1, Score rouge2, Score rougeL) {}

    /**
     * Scores a hypothesis against a reference, both already segmented and joined with spaces.
     *
     * @throws IllegalArgumentException when either text has no words (LLaMA-Factory scores such pairs 0 before calling)
     */
    public static Scores score(String hypothesis, String reference) {
        List<String> hypWords = words(hypothesis, "hypothesis");
        List<String> refWords = words(reference, "reference");
        return new Scores(rougeN(hypWords, refWords, 1), rougeN(hypWords, refWords, 2), rougeL(hypWords, refWords));
    }

    /** Rouge.cut_sent: splits a paragraph into sentences after 。！？? (and closing quotes), ...... and …… */
    static List<String> cutSentences(String paragraph) {
        String p = SENTENCE_END.matcher(paragraph).replaceAll("$1\n$2");
        p = SIX_DOTS.matcher(p).replaceAll("$1\n$2");
        p = TWO_ELLIPSES.matcher(p).replaceAll("$1\n$2");
        p = QUOTED_END.matcher(p).replaceAll("$1\n$2");
        return PythonText.split(PythonText.rstrip(p), "\n");
    }

    /** The word list rouge-chinese scores: sentences kept when non-empty, whitespace collapsed, split on " ". */
    static List<String> words(String text, String what) {
        List<String> words = new ArrayList<>();
        int sentences = 0;
        for (String sentence : cutSentences(text)) {
            if (sentence.isEmpty()) continue;
            sentences++;
            // a sentence of only whitespace collapses to "" and still contributes one empty word, as in Python
            words.addAll(PythonText.split(String.join(" ", PythonText.splitWhitespace(sentence)), " "));
        }
        if (sentences == 0) throw new IllegalArgumentException("the " + what + " is empty");
        return words;
    }

    static Score rougeN(List<String> hyp, List<String> ref, int n) {
        Set<String> h = ngrams(hyp, n);
        Set<String> r = ngrams(ref, n);
        int overlap = 0;
        for (String g : h) if (r.contains(g)) overlap++;
        return score(overlap, h.size(), r.size());
    }

    static Score rougeL(List<String> hyp, List<String> ref) {
        return score(lcsLength(ref, hyp), hyp.size(), ref.size());
    }

    private static Score score(int overlap, int hypCount, int refCount) {
        double precision = hypCount == 0 ? 0.0 : (double) overlap / hypCount;
        double recall = refCount == 0 ? 0.0 : (double) overlap / refCount;
        double f = 2.0 * ((precision * recall) / (precision + recall + 1e-8));
        return new Score(precision, recall, f);
    }

    /** Distinct n-grams; words never contain a space, so joining with one keeps n-grams apart. */
    private static Set<String> ngrams(List<String> words, int n) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i + n <= words.size(); i++) out.add(String.join(" ", words.subList(i, i + n)));
        return out;
    }

    /** Length of the longest common subsequence, two rows of the usual table. */
    static int lcsLength(List<String> x, List<String> y) {
        int[] prev = new int[y.size() + 1];
        int[] cur = new int[y.size() + 1];
        for (int i = 1; i <= x.size(); i++) {
            for (int j = 1; j <= y.size(); j++) {
                cur[j] = x.get(i - 1).equals(y.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.size()];
    }
}
