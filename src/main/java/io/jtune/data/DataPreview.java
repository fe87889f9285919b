package io.jtune.data;

import io.jtune.data.template.ChatTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What LLaMA-Factory prints before training (print_data_example): the first example's ids, its
 * decoded text, its labels and the decoded learned tokens; plus, for {@code jtune data preview},
 * example counts and length statistics per split.
 */
public final class DataPreview {
    private DataPreview() {}

    /** The example block, exactly in LLaMA-Factory's layout for the stage ("training example:" header included). */
    public static String example(String header, TokenizedExample ex, ChatTokenizer tok) {
        StringBuilder sb = new StringBuilder(header).append('\n');
        if (ex.has("chosen_input_ids")) {
            for (String side : List.of("chosen", "rejected")) {
                sequence(sb, ex.get(side + "_input_ids"), ex.get(side + "_labels"), side + "_", tok);
            }
        } else {
            sequence(sb, ex.inputIds(), ex.labels(), "", tok);
        }
        return sb.toString();
    }

    private static void sequence(StringBuilder sb, int[] ids, int[] labels, String prefix, ChatTokenizer tok) {
        sb.append(prefix).append("input_ids:\n").append(pyList(ids)).append('\n');
        sb.append(prefix).append("inputs:\n").append(tok.decode(ids)).append('\n');
        if (labels == null) return; // pretraining prints ids and text only
        sb.append(prefix).append("label_ids:\n").append(pyList(labels)).append('\n');
        int[] learned = Arrays.stream(labels).filter(v -> v != TokenizedExample.IGNORE_INDEX).toArray();
        sb.append(prefix).append("labels:\n").append(tok.decode(learned)).append('\n');
    }

    /** Python's list repr: "[1, 2, 3]". */
    static String pyList(int[] values) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int v : values) j.add(Integer.toString(v));
        return j.toString();
    }

    /** The first training example, then counts and length statistics of every split, and the skip summary. */
    public static String render(DataModule data) {
        StringBuilder sb = new StringBuilder();
        if (!data.train().isEmpty()) sb.append(example("training example:", data.train().getFirst(), data.tokenizer()));
        sb.append('\n').append(stats("train", data.train()));
        for (Map.Entry<String, List<TokenizedExample>> e : data.eval().entrySet()) sb.append(stats(e.getKey(), e.getValue()));
        if (data.loadedFrom() != null) sb.append("loaded from: ").append(data.loadedFrom()).append('\n');
        if (!data.skips().isEmpty()) {
            sb.append("skipped ").append(data.skips().total()).append(" record(s):\n").append(data.skips().summary());
        }
        return sb.toString();
    }

    /** "split: N examples, tokens per example min/mean/p50/p95/max, supervised tokens". */
    public static String stats(String split, List<TokenizedExample> examples) {
        if (examples.isEmpty()) return split + ": 0 examples\n";
        String key = examples.getFirst().has("chosen_input_ids") ? "chosen_input_ids" : TokenizedExample.INPUT_IDS;
        String labelKey = key.equals(TokenizedExample.INPUT_IDS) ? TokenizedExample.LABELS : "chosen_labels";
        int[] lengths = new int[examples.size()];
        long total = 0;
        long supervised = 0;
        for (int i = 0; i < examples.size(); i++) {
            TokenizedExample ex = examples.get(i);
            int[] ids = ex.get(key);
            int[] labels = ex.get(labelKey);
            lengths[i] = ids.length;
            total += ids.length;
            if (labels != null) for (int v : labels) if (v != TokenizedExample.IGNORE_INDEX) supervised++;
        }
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        return String.format("%s: %d examples, %d tokens; tokens per example: min %d, mean %.1f, p50 %d, p95 %d, "
                        + "max %d; tokens with a loss: %s%n",
                split, examples.size(), total, sorted[0], (double) total / examples.size(),
                percentile(sorted, 0.50), percentile(sorted, 0.95), sorted[sorted.length - 1],
                examples.getFirst().has(labelKey) ? Long.toString(supervised) : "all but padding");
    }

    private static int percentile(int[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
