package io.jtune.config;

import java.util.List;

/**
 * The data group, with LLaMA-Factory's derived values applied: packing defaults to on for stage pt and
 * is implied by neat_packing; media_dir defaults to dataset_dir; interleave_probs become numbers.
 *
 * @param cutoffLen the user's cutoff_len; see {@link #packedCutoffLen()} for the length LLaMA-Factory packs to
 */
public record DataArguments(
        String template,
        List<String> dataset,
        List<String> evalDataset,
        String datasetDir,
        int cutoffLen,
        boolean trainOnPrompt,
        boolean maskHistory,
        String mixStrategy,
        List<Double> interleaveProbs,
        boolean overwriteCache,
        Integer maxSamples,
        double valSize,
        boolean packing,
        boolean neatPacking,
        String toolFormat,
        String defaultSystem,
        boolean enableThinking,
        String tokenizedPath) {

    static DataArguments from(JtuneConfig c) {
        List<String> probsText = c.list("interleave_probs");
        List<Double> probs = null;
        if (probsText != null) {
            try {
                probs = probsText.stream().map(Double::parseDouble).toList();
            } catch (NumberFormatException e) {
                throw c.error("interleave_probs", "expected comma-separated numbers such as 0.7,0.3, got " + probsText);
            }
        }
        String stage = c.string("stage");
        boolean neat = c.bool("neat_packing");
        Boolean packing = c.nullableBool("packing");
        boolean effectivePacking = neat || (packing != null ? packing : "pt".equals(stage));
        return new DataArguments(
                c.string("template"),
                orEmpty(c.list("dataset")),
                orEmpty(c.list("eval_dataset")),
                c.string("dataset_dir"),
                c.integer("cutoff_len"),
                c.bool("train_on_prompt"),
                c.bool("mask_history"),
                c.string("mix_strategy"),
                probs,
                c.bool("overwrite_cache"),
                c.nullableInteger("max_samples"),
                c.real("val_size"),
                effectivePacking,
                neat,
                c.string("tool_format"),
                c.string("default_system"),
                c.bool("enable_thinking"),
                c.string("tokenized_path"));
    }

    private static List<String> orEmpty(List<String> l) {
        return l == null ? List.of() : l;
    }

    /**
     * LLaMA-Factory packs into cutoff_len - 1 tokens (DataArguments.__post_init__ subtracts one when
     * packing), so packed sequences have the same length there and here.
     */
    public int packedCutoffLen() {
        return packing ? cutoffLen - 1 : cutoffLen;
    }

    /** Whether a validation split is taken from the training data. */
    public boolean hasValSplit() {
        return valSize > 1e-6;
    }
}
