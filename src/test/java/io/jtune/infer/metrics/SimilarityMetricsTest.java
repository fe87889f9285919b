package io.jtune.infer.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Expected figures come from LLaMA-Factory's ComputeSimilarity code run with nltk 3.8 and
 * rouge-chinese 1.0.3, with jieba.cut replaced by a Python copy of CjkSegmenter (the jieba figures
 * differ only on the Chinese samples: see docs/export.md), plus small hand computations.
 */
class SimilarityMetricsTest {

    @Test
    void bleuByHand() {
        // hyp abcd, ref abce: p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1 -> method3 gives 1/(2·1);
        // equal lengths so BP = exp(1 - 4/4) = 1; BLEU = (3/4 · 2/3 · 1/2 · 1/2)^(1/4) = (1/8)^(1/4)
        assertEquals(0.5946035575013605, bleu("abce", "abcd"), 0.0);
        assertEquals(Math.pow(0.125, 0.25), bleu("abce", "abcd"), 1e-15);
        // hyp abc, ref abcdef: p1..p3 = 1, no 4-grams (0/1 -> 1/2), BP = exp(1 - 6/3) = e^-1
        assertEquals(0.30934850332660563, bleu("abcdef", "abc"), 0.0);
        assertEquals(Math.exp(-1) * Math.pow(0.5, 0.25), bleu("abcdef", "abc"), 1e-15);
        // no unigram in common, or an empty hypothesis: 0
        assertEquals(0.0, bleu("abc", "xyz"));
        assertEquals(0.0, bleu("abc", ""));
        // longer hypothesis: no brevity penalty; two zero precisions smooth to 1/(2·d3) and 1/(4·d4)
        // hyp "aab" vs ref "ab": p1 = 2/3 (clipped a), p2 = 1/2, p3 = 0/1 -> 1/2, p4 = 0/1 -> 1/4
        assertEquals(Math.pow(2.0 / 3 * 0.5 * 0.5 * 0.25, 0.25), bleu("ab", "aab"), 1e-15);
    }

    private static double bleu(String reference, String hypothesis) {
        return SentenceBleu.bleu4(PythonText.characters(reference), PythonText.characters(hypothesis));
    }

    @Test
    void rougeByHand() {
        // hyp words: The cat sat on the mat . (7 distinct: The and the differ)
        // ref words: The cat is on the mat .  (7 distinct), shared {The, cat, on, the, mat, .} = 6
        RougeChinese.Scores s = RougeChinese.score("The cat sat on the mat .", "The cat is on the mat .");
        assertEquals(6.0 / 7, s.rouge1().precision(), 0.0);
        assertEquals(2 * ((6.0 / 7 * (6.0 / 7)) / (6.0 / 7 + 6.0 / 7 + 1e-8)), s.rouge1().f(), 0.0);
        assertEquals(0.8571428521428571, s.rouge1().f(), 0.0); // rouge-chinese's own figure
        // distinct bigrams: 6 each; shared {The cat, on the, the mat, mat .} = 4
        assertEquals(4.0 / 6, s.rouge2().recall(), 0.0);
        // LCS over all 7 words: The cat on the mat . = 6
        assertEquals(6.0 / 7, s.rougeL().precision(), 0.0);
        // a whitespace-only "sentence" becomes an empty word, as in rouge-chinese: 5 hyp words, 4 distinct
        RougeChinese.Scores q = RougeChinese.score("好 。 \n \n 坏", "好 。 坏");
        assertEquals(0.75, q.rouge1().precision(), 0.0);
        assertEquals(0.8571428522448981, q.rouge1().f(), 0.0);
        assertEquals(0.33333332888888895, q.rouge2().f(), 0.0);
        assertEquals(0.6, q.rougeL().precision(), 0.0);
        assertEquals(0.7499999953125, q.rougeL().f(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> RougeChinese.score("   ", "a"));
    }

    @Test
    void sentencesAreCutAtChineseAndEnglishEnds() {
        // figures from rouge-chinese's Rouge.cut_sent
        assertEquals(List.of("他说：“你好！”", "然后走了。"), RougeChinese.cutSentences("他说：“你好！”然后走了。"));
        assertEquals(List.of("他 说 ： “ 你 好 ！", " ” 然 后 走 了 。"),
                RougeChinese.cutSentences("他 说 ： “ 你 好 ！ ” 然 后 走 了 。"));
        assertEquals(List.of("a?", "b......", "c"), RougeChinese.cutSentences("a?b......c\n\n\t"));
    }

    @Test
    void segmenterFollowsJiebaOutsideChinese() {
        assertEquals(List.of("Hello", ",", " ", "world", "!"), CjkSegmenter.segment("Hello, world!"));
        assertEquals(List.of("价", "格", "是", "3.14", "元", "，", "涨", "了", "50%", "！"), CjkSegmenter.segment("价格是3.14元，涨了50%！"));
        assertEquals(List.of("x", "--", "y", " ", "...", " ", "v1.2", ".", "3", "\r\n", "é"), CjkSegmenter.segment("x--y ... v1.2.3\r\né"));
    }

    @Test
    void llamaFactoryFigures() {
        String[][] pairs = {
            {"The cat sat on the mat.", "The cat is on the mat."},
            {"我喜欢吃苹果。", "我爱吃苹果和香蕉。"},
            {"价格是3.14元，涨了50%！好的。", "价格为3.14元。涨幅50%"},
            {"", "abc"},
            {"the the the the", "the cat"},
            {"First line.\nSecond line! Yes?", "First line. Second line?"},
            {"Hello, world!", "Hello, world!"},
            {"好。\n\n坏", "好。坏"},
            {"他说：“你好！”然后走了。", "他说你好然后走了"},
            {"x--y ... v1.2.3 done", "x--y v1.2.3 done!"},
        };
        double[][] expected = { // rouge-1, rouge-2, rouge-l, bleu-4 per sample
            {85.7143, 66.6667, 85.7143, 79.4484},
            {62.5, 28.5714, 62.5, 20.8732},
            {63.6364, 20.0, 54.5455, 30.9285},
            {0.0, 0.0, 0.0, 0.0},
            {66.6667, 0.0, 33.3333, 17.3958},
            {83.3333, 66.6667, 85.7143, 70.1754},
            {100.0, 100.0, 100.0, 100.0},
            {85.7143, 33.3333, 75.0, 23.6435},
            {76.1905, 52.6316, 76.1905, 26.1302},
            {87.5, 71.4286, 87.5, 73.7073},
        };
        SimilarityMetrics metrics = new SimilarityMetrics();
        for (int i = 0; i < pairs.length; i++) {
            Map<String, Double> s = metrics.add(pairs[i][0], pairs[i][1]);
            assertEquals(expected[i][0], s.get("rouge-1"), 0.0, "sample " + i);
            assertEquals(expected[i][1], s.get("rouge-2"), 0.0, "sample " + i);
            assertEquals(expected[i][2], s.get("rouge-l"), 0.0, "sample " + i);
            assertEquals(expected[i][3], s.get("bleu-4"), 0.0, "sample " + i);
        }
        Map<String, Double> mean = metrics.result();
        assertEquals(List.of("rouge-1", "rouge-2", "rouge-l", "bleu-4"), List.copyOf(mean.keySet()));
        assertEquals(71.12555, mean.get("rouge-1"), 0.0);
        assertEquals(43.92983, mean.get("rouge-2"), 0.0);
        assertEquals(66.04979, mean.get("rouge-l"), 0.0);
        assertEquals(44.23022999999999, mean.get("bleu-4"), 0.0);
        assertTrue(Double.isNaN(new SimilarityMetrics().result().get("bleu-4")), "np.mean([]) is nan");
    }

    @Test
    void pythonRoundingAndSums() {
        // Python rounds the exact binary value: 1.00005 is stored above the half, 2.00025 below it
        assertEquals(1.0001, SimilarityMetrics.round4(1.00005), 0.0);
        assertEquals(2.0002, SimilarityMetrics.round4(2.00025), 0.0);
        assertEquals(0.0001, SimilarityMetrics.round4(0.00015), 0.0);
        assertEquals(2.5, SimilarityMetrics.round4(2.5), 0.0);
        // fsum is exact where a plain sum loses the small terms
        assertEquals(2.0, ExactSum.fsum(new double[] {1e16, 1.0, -1e16, 1.0}), 0.0);
        assertEquals(2.0, ExactSum.fsum(new double[] {1.0, 1e100, 1.0, -1e100}), 0.0);
        double[] tenTenths = new double[10];
        java.util.Arrays.fill(tenTenths, 0.1);
        assertEquals(1.0, ExactSum.fsum(tenTenths), 0.0); // math.fsum([0.1] * 10) == 1.0
        // numpy pairwise sum of 0.1 x 10: the 8-way unrolled block then the tail
        double[] tenths = new double[10];
        java.util.Arrays.fill(tenths, 0.1);
        assertEquals(1.0, ExactSum.pairwise(tenths, 0, 10), 0.0);
        double naive = 0;
        for (double t : tenths) naive += t;
        assertEquals(0.9999999999999999, naive, 0.0);
    }
}
