package io.jtune.data;

import java.nio.file.Path;
import java.util.List;

/**
 * What the data path needs from the configuration, with LLaMA-Factory's names and defaults
 * (DataArguments). The trainer maps the YAML keys onto it; nothing here parses YAML.
 *
 * @param dataset              names from dataset_info.json ({@code dataset: a,b})
 * @param evalDataset          names used for evaluation instead of a val_size split (may be empty)
 * @param datasetDir           the folder holding dataset_info.json and the data files
 * @param template             template name (null: parsed from the tokenizer's chat template as LLaMA-Factory does,
 *                             or "empty" when there is none, for pretraining only)
 * @param cutoffLen            maximum tokens per example (LLaMA-Factory default 2048)
 * @param maxSamples           keep at most this many records per dataset (null: all)
 * @param valSize              fraction in (0,1) or a count >= 1 held out for evaluation; 0 = none
 * @param packing              pack examples into cutoffLen blocks (null: true for pt, false otherwise)
 * @param neatPacking          packing without attention across examples (implies packing)
 * @param trainOnPrompt        compute the loss on prompts too
 * @param maskHistory          train on the last turn only
 * @param mixStrategy          concat | interleave_under | interleave_over
 * @param interleaveProbs      sampling probabilities for interleaving, one per dataset (may be empty)
 * @param tokenizedPath        save/load the tokenized dataset here (null: none)
 * @param enableThinking       reasoning templates: compute the loss on an empty thought when false
 * @param seed                 seed for sampling, interleaving, splitting and shuffling
 * @param stage                pt | sft | rm | dpo | kto | ppo
 * @param preprocessingBatchSize LLaMA-Factory's map batch size: packing and KTO's KL pairing act within it
 * @param cacheDir             automatic preprocessing cache folder (null: no automatic cache)
 * @param defaultSystem        replaces the template's default system message (null: keep it)
 * @param toolFormat           replaces the template's tool style: default, qwen, llama3, mistral, glm4 (null: keep it)
 * @param preserveThinking     reasoning templates: keep the thoughts of earlier turns
 */
public record DataOptions(
        List<String> dataset,
        List<String> evalDataset,
        Path datasetDir,
        String template,
        int cutoffLen,
        Integer maxSamples,
        double valSize,
        Boolean packing,
        boolean neatPacking,
        boolean trainOnPrompt,
        boolean maskHistory,
        String mixStrategy,
        List<Double> interleaveProbs,
        Path tokenizedPath,
        boolean enableThinking,
        long seed,
        String stage,
        int preprocessingBatchSize,
        Path cacheDir,
        String defaultSystem,
        String toolFormat,
        boolean preserveThinking) {

    public DataOptions {
        dataset = dataset == null ? List.of() : List.copyOf(dataset);
        evalDataset = evalDataset == null ? List.of() : List.copyOf(evalDataset);
        interleaveProbs = interleaveProbs == null ? List.of() : List.copyOf(interleaveProbs);
        if (mixStrategy == null) mixStrategy = "concat";
        if (stage == null) stage = "sft";
        if (preprocessingBatchSize <= 0) preprocessingBatchSize = 1000;
    }

    /** Starts from LLaMA-Factory's defaults for everything but the dataset names and folder. */
    public static Builder builder(List<String> dataset, Path datasetDir) {
        return new Builder().dataset(dataset).datasetDir(datasetDir);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.dataset = dataset; b.evalDataset = evalDataset; b.datasetDir = datasetDir; b.template = template;
        b.cutoffLen = cutoffLen; b.maxSamples = maxSamples; b.valSize = valSize; b.packing = packing;
        b.neatPacking = neatPacking; b.trainOnPrompt = trainOnPrompt; b.maskHistory = maskHistory;
        b.mixStrategy = mixStrategy; b.interleaveProbs = interleaveProbs; b.tokenizedPath = tokenizedPath;
        b.enableThinking = enableThinking; b.seed = seed; b.stage = stage;
        b.preprocessingBatchSize = preprocessingBatchSize; b.cacheDir = cacheDir;
        b.defaultSystem = defaultSystem; b.toolFormat = toolFormat; b.preserveThinking = preserveThinking;
        return b;
    }

    /** Whether packing is on: as LLaMA-Factory, neat_packing implies it and pt enables it by default. */
    public boolean effectivePacking() {
        if (neatPacking) return true;
        return packing != null ? packing : "pt".equals(stage);
    }

    /**
     * The cutoff the processors use. LLaMA-Factory subtracts one when packing (then pads each
     * pack to one more token), so a pack is exactly {@code cutoffLen} tokens long.
     */
    public int effectiveCutoffLen() {
        return effectivePacking() ? cutoffLen - 1 : cutoffLen;
    }

    /** Fluent construction; unset fields keep LLaMA-Factory's defaults. */
    public static final class Builder {
        private List<String> dataset = List.of();
        private List<String> evalDataset = List.of();
        private Path datasetDir = Path.of("data");
        private String template;
        private int cutoffLen = 2048;
        private Integer maxSamples;
        private double valSize;
        private Boolean packing;
        private boolean neatPacking;
        private boolean trainOnPrompt;
        private boolean maskHistory;
        private String mixStrategy = "concat";
        private List<Double> interleaveProbs = List.of();
        private Path tokenizedPath;
        private boolean enableThinking = true;
        private long seed = 42;
        private String stage = "sft";
        private int preprocessingBatchSize = 1000;
        private Path cacheDir;
        private String defaultSystem;
        private String toolFormat;
        private boolean preserveThinking;

        public Builder dataset(List<String> v) { dataset = v; return this; }
        public Builder evalDataset(List<String> v) { evalDataset = v; return this; }
        public Builder datasetDir(Path v) { datasetDir = v; return this; }
        public Builder template(String v) { template = v; return this; }
        public Builder cutoffLen(int v) { cutoffLen = v; return this; }
        public Builder maxSamples(Integer v) { maxSamples = v; return this; }
        public Builder valSize(double v) { valSize = v; return this; }
        public Builder packing(Boolean v) { packing = v; return this; }
        public Builder neatPacking(boolean v) { neatPacking = v; return this; }
        public Builder trainOnPrompt(boolean v) { trainOnPrompt = v; return this; }
        public Builder maskHistory(boolean v) { maskHistory = v; return this; }
        public Builder mixStrategy(String v) { mixStrategy = v; return this; }
        public Builder interleaveProbs(List<Double> v) { interleaveProbs = v; return this; }
        public Builder tokenizedPath(Path v) { tokenizedPath = v; return this; }
        public Builder enableThinking(boolean v) { enableThinking = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder stage(String v) { stage = v; return this; }
        public Builder preprocessingBatchSize(int v) { preprocessingBatchSize = v; return this; }
        public Builder cacheDir(Path v) { cacheDir = v; return this; }
        public Builder defaultSystem(String v) { defaultSystem = v; return this; }
        public Builder toolFormat(String v) { toolFormat = v; return this; }
        public Builder preserveThinking(boolean v) { preserveThinking = v; return this; }

        public DataOptions build() {
            return new DataOptions(dataset, evalDataset, datasetDir, template, cutoffLen, maxSamples, valSize,
                    packing, neatPacking, trainOnPrompt, maskHistory, mixStrategy, interleaveProbs, tokenizedPath,
                    enableThinking, seed, stage, preprocessingBatchSize, cacheDir, defaultSystem, toolFormat,
                    preserveThinking);
        }
    }
}
