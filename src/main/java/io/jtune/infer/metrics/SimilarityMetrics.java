package io.jtune.infer.metrics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LLaMA-Factory's ComputeSimilarity (train/sft/metric.py) over decoded predictions and labels:
 * per sample, ROUGE-1/2/L f-scores (rouge-chinese on the segmented texts) and BLEU-4 (nltk
 * sentence_bleu, method3 smoothing, over the raw characters), each times 100 and rounded to 4
 * decimals like Python's round(); the result is their mean (numpy pairwise summation). Pairs where
 * either text has no words score 0 on ROUGE. Segmentation: {@link CjkSegmenter} (not jieba).
 */
public final class SimilarityMetrics {
    public static final String ROUGE_1 = "rouge-1";
    public static final String ROUGE_2 = "rouge-2";
    public static final String ROUGE_L = "rouge-l";
    public static final String BLEU_4 = "bleu-4";

    private final List<double[]> samples = new ArrayList<>(); // rouge-1, rouge-2, rouge-l, bleu-4

    /** Scores one prediction against its label and keeps the scores; returns them in key order. */
    public Map<String, Double> add(String prediction, String label) {
        List<String> hypothesis = CjkSegmenter.segment(prediction);
        List<String> reference = CjkSegmenter.segment(label);
        String hyp = String.join(" ", hypothesis);
        String ref = String.join(" ", reference);
        double r1 = 0;
        double r2 = 0;
        double rl = 0;
        if (!PythonText.splitWhitespace(hyp).isEmpty() && !PythonText.splitWhitespace(ref).isEmpty()) {
            RougeChinese.Scores s = RougeChinese.score(hyp, ref);
            r1 = s.rouge1().f();
            r2 = s.rouge2().f();
            rl = s.rougeL().f();
        }
        double bleu = SentenceBleu.bleu4(PythonText.characters(label), PythonText.characters(prediction));
        double[] row = {round4(r1 * 100), round4(r2 * 100), round4(rl * 100), round4(bleu * 100)};
        samples.add(row);
        return asMap(row);
    }

    public int count() {
        return samples.size();
    }

    /** The means over all samples so far ({@code NaN} when there are none, as np.mean([]) is). */
    public Map<String, Double> result() {
        double[] means = new double[4];
        for (int k = 0; k < 4; k++) {
            double[] column = new double[samples.size()];
            for (int i = 0; i < column.length; i++) column[i] = samples.get(i)[k];
            means[k] = ExactSum.mean(column);
        }
        return asMap(means);
    }

    private static Map<String, Double> asMap(double[] v) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(ROUGE_1, v[0]);
        m.put(ROUGE_2, v[1]);
        m.put(ROUGE_L, v[2]);
        m.put(BLEU_4, v[3]);
        return m;
    }

    /** Python's round(x, 4): the exact binary value rounded half-to-even at the 4th decimal. */
    static double round4(double x) {
        return new BigDecimal(x).setScale(4, RoundingMode.HALF_EVEN).doubleValue();
    }
}
