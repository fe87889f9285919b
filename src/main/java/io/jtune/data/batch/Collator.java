package io.jtune.data.batch;

import static io.jtune.data.TokenizedExample.IGNORE_INDEX;

import io.jtune.data.TokenizedExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pads a list of examples to the longest one, on the right (LLaMA-Factory's collators).
 * Pretraining examples have no labels: they are the input ids, with every pad-id token set to -100
 * (as transformers' DataCollatorForLanguageModeling, which therefore also masks EOS where PAD == EOS).
 */
public final class Collator {
    private final int padId;

    public Collator(int padId) {
        this.padId = padId;
    }

    /** Supervised, pretraining and KTO examples ({@code input_ids}, {@code labels}...). */
    public PaddedBatch collate(List<TokenizedExample> examples) {
        return collate(examples, "");
    }

    /**
     * The sequences named {@code prefix + "input_ids"} and {@code prefix + "labels"}; e.g. "kl_" for
     * KTO's KL pairs.
     */
    public PaddedBatch collate(List<TokenizedExample> examples, String prefix) {
        int n = examples.size();
        int maxLen = 0;
        for (TokenizedExample ex : examples) maxLen = Math.max(maxLen, ex.get(prefix + TokenizedExample.INPUT_IDS).length);
        int[][] ids = new int[n][maxLen];
        int[][] labels = new int[n][maxLen];
        int[][] positions = new int[n][maxLen];
        int[][] segments = new int[n][maxLen];
        for (int b = 0; b < n; b++) {
            TokenizedExample ex = examples.get(b);
            int[] in = ex.get(prefix + TokenizedExample.INPUT_IDS);
            int[] lab = ex.get(prefix + TokenizedExample.LABELS);
            int[] pos = prefix.isEmpty() ? ex.get(TokenizedExample.POSITION_IDS) : null;
            int[] seg = prefix.isEmpty() ? ex.get(TokenizedExample.ATTENTION_MASK) : null;
            Arrays.fill(ids[b], padId);
            Arrays.fill(labels[b], IGNORE_INDEX);
            System.arraycopy(in, 0, ids[b], 0, in.length);
            for (int t = 0; t < in.length; t++) {
                labels[b][t] = lab != null ? lab[t] : (in[t] == padId ? IGNORE_INDEX : in[t]);
                positions[b][t] = pos != null ? pos[t] : t;
                segments[b][t] = seg != null ? seg[t] : 1;
            }
        }
        return new PaddedBatch(ids, labels, positions, segments);
    }

    /** Preference pairs: one batch of 2n rows, the chosen answers first, then the rejected ones (as LLaMA-Factory). */
    public PaddedBatch collatePairs(List<TokenizedExample> examples) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (String side : List.of("chosen_", "rejected_")) {
            for (TokenizedExample ex : examples) {
                rows.add(TokenizedExample.of(TokenizedExample.INPUT_IDS, ex.get(side + "input_ids"),
                        TokenizedExample.LABELS, ex.get(side + "labels")));
            }
        }
        return collate(rows);
    }

    /**
     * KTO examples: one batch of 2n rows, the n examples first, then their n KL sequences (the same
     * prompts with mismatched answers, {@code kl_input_ids} / {@code kl_labels}), padded together.
     */
    public PaddedBatch collateWithKl(List<TokenizedExample> examples) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (String prefix : List.of("", "kl_")) {
            for (TokenizedExample ex : examples) {
                rows.add(TokenizedExample.of(TokenizedExample.INPUT_IDS, ex.get(prefix + "input_ids"),
                        TokenizedExample.LABELS, ex.get(prefix + "labels")));
            }
        }
        return collate(rows);
    }
}
