package io.jtune.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One processed example: named int sequences with LLaMA-Factory's column names. Supervised and
 * KTO data have {@code input_ids} and {@code labels} (-100 where no loss is computed); packed data
 * add {@code position_ids} (restarting at 0 for every packed example) and {@code attention_mask}
 * (1 per token; with neat packing the 1-based index of the packed example, 0 on padding);
 * preference pairs have {@code chosen_*} / {@code rejected_*}; KTO adds {@code kl_*} and
 * {@code kto_tags} ([1] desirable, [0] undesirable).
 */
public record TokenizedExample(Map<String, int[]> features) {
    public static final int IGNORE_INDEX = -100;

    public static final String INPUT_IDS = "input_ids";
    public static final String LABELS = "labels";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    /** Prompt-only data (data stage ppo): the dataset answer's text as Unicode code points, for reward functions. */
    public static final String ANSWER_TEXT = "answer_text";

    public TokenizedExample {
        features = Collections.unmodifiableMap(new LinkedHashMap<>(features));
    }

    public static TokenizedExample of(Object... nameValuePairs) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) m.put((String) nameValuePairs[i], (int[]) nameValuePairs[i + 1]);
        return new TokenizedExample(m);
    }

    public int[] get(String name) {
        return features.get(name);
    }

    public boolean has(String name) {
        return features.containsKey(name);
    }

    public int[] inputIds() {
        return features.get(INPUT_IDS);
    }

    public int[] labels() {
        return features.get(LABELS);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TokenizedExample other) || !other.features.keySet().equals(features.keySet())) return false;
        for (var e : features.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), other.features.get(e.getKey()))) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (var e : features.entrySet()) h += e.getKey().hashCode() ^ java.util.Arrays.hashCode(e.getValue());
        return h;
    }
}
