package io.jtune.data;

import io.jtune.JtuneException;
import io.jtune.data.cache.CacheKey;
import io.jtune.data.cache.TokenizedStore;
import io.jtune.data.convert.DatasetConverter;
import io.jtune.data.process.DatasetProcessor;
import io.jtune.data.source.DataFiles;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.source.Row;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.ModelChatTemplate;
import io.jtune.data.template.ParsedTemplate;
import io.jtune.data.template.Template;
import io.jtune.data.template.Templates;
import io.jtune.data.template.ToolStyles;
import io.jtune.data.template.jinja.JinjaException;
import io.jtune.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The whole data path, in LLaMA-Factory's order (loader.get_dataset): read each dataset named in
 * dataset_info.json, sample num_samples, keep max_samples, convert to the aligned format, mix the
 * datasets, split off val_size, then tokenize each split with the stage's processor. The result
 * is saved to tokenized_path and to the automatic cache, and read back from either when present.
 */
public final class DatasetPipeline {
    private final DataOptions options;
    private final Tokenizer tokenizer;
    private final String tokenizerFingerprint;
    private final PrintStream log;

    /**
     * @param tokenizerFingerprint something that changes when the tokenizer files change (e.g. a hash of
     *                             tokenizer.json); may be null, then only the tokenizer's behaviour on a probe is keyed
     */
    public DatasetPipeline(DataOptions options, Tokenizer tokenizer, String tokenizerFingerprint, PrintStream log) {
        this.options = options;
        this.tokenizer = tokenizer;
        this.tokenizerFingerprint = tokenizerFingerprint;
        this.log = log;
    }

    public DataModule load() {
        Template template = configuredTemplate(options, tokenizer);
        if (options.template() == null && !template.name().equals("empty")) {
            log.println("template was not set: using the model's chat template, parsed as LLaMA-Factory parses it.");
        }
        checkOptions(template);
        ChatTokenizer chat = ChatTokenizer.of(tokenizer, template);

        if (options.tokenizedPath() != null && TokenizedStore.exists(options.tokenizedPath())) {
            log.println("Loading the tokenized dataset from " + options.tokenizedPath()
                    + " (the other data arguments are ignored, as in LLaMA-Factory).");
            return fromStore(TokenizedStore.load(options.tokenizedPath(), tokenizer.vocabSize()), template, chat, options.tokenizedPath().toString());
        }
        Path cacheDir = options.cacheDir() == null ? null : options.cacheDir().resolve(cacheKey(template));
        if (cacheDir != null && TokenizedStore.exists(cacheDir)) {
            log.println("Preprocessing unchanged: reusing the cached tokenized dataset " + cacheDir + ".");
            DataModule cached = fromStore(TokenizedStore.load(cacheDir, tokenizer.vocabSize()), template, chat, cacheDir.toString());
            if (options.tokenizedPath() != null) TokenizedStore.save(options.tokenizedPath(), cached.stage(), splits(cached));
            return cached;
        }

        SkipReport skips = new SkipReport();
        List<AlignedExample> trainSet = merged(options.dataset(), skips);
        List<AlignedExample> evalSet = options.evalDataset().isEmpty() ? null : merged(options.evalDataset(), skips);
        TrainValSplit.Split<AlignedExample> split = TrainValSplit.split(trainSet, options.valSize(), options.seed());

        DatasetProcessor processor = DatasetProcessor.forStage(options, template, chat);
        List<TokenizedExample> train = process(processor, split.train(), skips);
        Map<String, List<TokenizedExample>> eval = new LinkedHashMap<>();
        if (!split.validation().isEmpty()) eval.put("validation", process(processor, split.validation(), skips));
        if (evalSet != null) eval.put("validation", process(processor, evalSet, skips));

        if (!skips.isEmpty()) {
            log.println("Skipped " + skips.total() + " record(s):" + System.lineSeparator() + skips.summary().stripTrailing());
        }
        if (train.isEmpty()) {
            if ("pt".equals(options.stage()) && skips.isEmpty()) {
                throw new JtuneException("Not enough pretraining text for one block of cutoff_len tokens ("
                        + options.cutoffLen() + "): add text or lower cutoff_len (see docs/data.md).");
            }
            throw skips.nothingLeft("dataset " + String.join(",", options.dataset()));
        }
        DataModule module = new DataModule(options.stage(), train, eval, template, chat, skips, null);
        if (options.tokenizedPath() != null) {
            TokenizedStore.save(options.tokenizedPath(), options.stage(), splits(module));
            log.println("Tokenized dataset saved to " + options.tokenizedPath() + "; launch again with the same "
                    + "tokenized_path to skip preprocessing.");
        }
        if (cacheDir != null) TokenizedStore.save(cacheDir, options.stage(), splits(module));
        return module;
    }

    /** The named template with the options that adjust it (LLaMA-Factory's get_template_and_fix_tokenizer). */
    public static Template configuredTemplate(DataOptions options) {
        return adjusted(Templates.get(options.template()), options);
    }

    /**
     * The template of a run, as LLaMA-Factory's get_template_and_fix_tokenizer picks it: the named one;
     * without a name, the one parsed from the tokenizer's chat template (parse_template); without
     * either, "empty", which only pretraining may use (LLaMA-Factory would silently train chat data
     * without any template; jtune asks for one).
     */
    public static Template configuredTemplate(DataOptions options, Tokenizer tokenizer) {
        if (options.template() != null) return configuredTemplate(options);
        boolean pretraining = "pt".equals(options.stage());
        try {
            var own = ModelChatTemplate.of(tokenizer, "the tokenizer's chat template");
            if (own.isPresent()) return adjusted(ParsedTemplate.parse(own.get(), tokenizer), options);
        } catch (JinjaException e) {
            // Pretraining text never goes through a template (only its EOS does), so a chat template
            // jtune cannot render does not stop it; chat data needs one.
            if (!pretraining) throw e;
        }
        if (!pretraining) {
            throw new JtuneException("template: required for stage " + options.stage() + ", since the model has no chat "
                    + "template to parse (e.g. qwen, llama3, chatml; see docs/templates.md)");
        }
        return adjusted(Templates.get("empty"), options);
    }

    private static Template adjusted(Template named, DataOptions options) {
        Template template = named.withThinking(options.enableThinking(), options.preserveThinking());
        if (options.toolFormat() != null) template = template.withToolFormat(ToolStyles.byName(options.toolFormat()));
        if (options.defaultSystem() != null) template = template.withDefaultSystem(options.defaultSystem());
        return template;
    }

    private void checkOptions(Template template) {
        if (options.trainOnPrompt() && template.efficientEos()) {
            throw new JtuneException("Template '" + template.name() + "' uses efficient EOS and does not support "
                    + "train_on_prompt (as in LLaMA-Factory).");
        }
        if (options.maskHistory() && options.trainOnPrompt()) {
            throw new JtuneException("mask_history cannot be combined with train_on_prompt.");
        }
        if (!options.evalDataset().isEmpty() && options.valSize() > 1e-6) {
            throw new JtuneException("Cannot set val_size together with eval_dataset: choose one way to evaluate.");
        }
        if (options.neatPacking() && !"sft".equals(options.stage())) {
            throw new JtuneException("neat_packing applies to the sft stage only.");
        }
        if (options.dataset().isEmpty()) throw new JtuneException("No dataset given: set `dataset` (names from dataset_info.json).");
    }

    /** Reads, samples, truncates and converts each named dataset, then mixes them. */
    List<AlignedExample> merged(List<String> names, SkipReport skips) {
        DatasetRegistry registry = DatasetRegistry.load(options.datasetDir());
        boolean pairwise = options.stage().equals("rm") || options.stage().equals("dpo");
        List<List<AlignedExample>> datasets = new ArrayList<>();
        for (String name : names) {
            DatasetAttr attr = registry.get(name);
            if (attr.ranking() != pairwise) {
                throw new JtuneException("Dataset '" + name + "' " + (attr.ranking() ? "is" : "is not")
                        + " a preference dataset (\"ranking\": " + attr.ranking() + "), which does not fit stage '"
                        + options.stage() + "': rm and dpo need ranking datasets, other stages need non-ranking ones.");
            }
            Integer numSamples = attr.numSamples();
            // max_samples keeps the first rows of the sample: drawing more would only be thrown away
            if (numSamples != null && options.maxSamples() != null) numSamples = Math.min(numSamples, options.maxSamples());
            if (numSamples != null) checkFits(name, attr.numSamples(), numSamples, Runtime.getRuntime().maxMemory());
            Path path = options.datasetDir().resolve(attr.fileName());
            int skippedBefore = skips.total();
            List<Row> rows = DataFiles.read(path, skips);
            if (rows.isEmpty() && skips.total() == skippedBefore) {
                boolean emptyFile = Files.isRegularFile(path) && sizeOf(path) == 0;
                throw new JtuneException(path + ": dataset '" + name + "' has no records" + (emptyFile ? " (the file is empty)" : "")
                        + "; see docs/data.md for the dataset formats.");
            }
            if (numSamples != null) rows = sample(rows, numSamples);
            if (options.maxSamples() != null) rows = rows.subList(0, Math.min(options.maxSamples(), rows.size()));
            DatasetConverter converter = DatasetConverter.forAttr(attr);
            List<AlignedExample> aligned = new ArrayList<>(rows.size());
            for (Row row : rows) {
                try {
                    AlignedExample ex = converter.convert(row);
                    aligned.add(new AlignedExample(ex.prompt(), ex.response(), ex.system(), ex.tools(),
                            name + "/" + row.origin()));
                } catch (InvalidRecordException e) {
                    skips.skip(e.reason(), name + "/" + row.origin(), e.getMessage());
                }
            }
            datasets.add(aligned);
        }
        return DatasetMixer.merge(datasets, options.mixStrategy(), options.interleaveProbs(), options.seed());
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** The least memory one example takes once converted and tokenized (its objects, arrays and map, even when empty). */
    static final long MIN_BYTES_PER_EXAMPLE = 256;

    /** Refuses, before reading anything, a num_samples whose examples cannot fit in the Java heap even at their smallest. */
    void checkFits(String name, int numSamples, int kept, long heapBytes) {
        long needed = kept * MIN_BYTES_PER_EXAMPLE;
        if (needed > heapBytes) {
            throw new JtuneException(options.datasetDir().resolve(DatasetRegistry.FILE_NAME) + ": dataset '" + name
                    + "': num_samples " + numSamples + " cannot fit in memory: " + kept + " examples need at least "
                    + gib(needed) + " GiB, and the Java heap has " + gib(heapBytes) + " GiB. Lower num_samples (or set"
                    + " max_samples), or give Java more memory (JTUNE_JAVA_OPTS=-Xmx...).");
        }
    }

    private static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) (1L << 30));
    }

    /** num_samples: a seeded shuffle of all rows, repeated rows drawn at random when more are asked for. */
    private List<Row> sample(List<Row> rows, int target) {
        if (rows.isEmpty()) return rows;
        Random random = new Random(options.seed());
        List<Row> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, random);
        List<Row> out = new ArrayList<>(shuffled.subList(0, Math.min(target, shuffled.size())));
        while (out.size() < target) out.add(rows.get(random.nextInt(rows.size())));
        return out;
    }

    private List<TokenizedExample> process(DatasetProcessor processor, List<AlignedExample> data, SkipReport skips) {
        List<TokenizedExample> out = new ArrayList<>();
        int batch = options.preprocessingBatchSize();
        for (int start = 0; start < data.size(); start += batch) {
            out.addAll(processor.process(data.subList(start, Math.min(start + batch, data.size())), skips));
        }
        return out;
    }

    private String cacheKey(Template template) {
        CacheKey key = new CacheKey().add(options.toBuilder().tokenizedPath(null).cacheDir(null).build().toString())
                .add(template.toString()).add(tokenizerFingerprint)
                .add(tokenizer.vocabSize() + "/" + tokenizer.bosTokenId() + "/" + tokenizer.eosTokenId() + "/"
                        + tokenizer.padTokenId())
                .add(java.util.Arrays.toString(tokenizer.encode("jtune cache probe: Hello, 世界! 123 <|im_end|></s>", true)));
        DatasetRegistry registry = DatasetRegistry.load(options.datasetDir());
        key.addFile(registry.file());
        List<String> names = new ArrayList<>(options.dataset());
        names.addAll(options.evalDataset());
        for (String name : names) {
            for (Path file : DataFiles.list(options.datasetDir().resolve(registry.get(name).fileName()))) key.addFile(file);
        }
        return key.hex();
    }

    private DataModule fromStore(TokenizedStore.Stored stored, Template template, ChatTokenizer chat, String from) {
        Map<String, List<TokenizedExample>> eval = new LinkedHashMap<>(stored.splits());
        List<TokenizedExample> train = eval.remove("train");
        return new DataModule(stored.stage(), train == null ? List.of() : train, eval, template, chat, new SkipReport(), from);
    }

    private static Map<String, List<TokenizedExample>> splits(DataModule m) {
        Map<String, List<TokenizedExample>> s = new LinkedHashMap<>();
        s.put("train", m.train());
        s.putAll(m.eval());
        return s;
    }
}
