package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.config.DataArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.data.AlignedExample;
import io.jtune.data.SkipReport;
import io.jtune.infer.metrics.SimilarityMetrics;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.io.hf.MetricsFiles;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * LLaMA-Factory's do_predict with predict_with_generate (run through {@code jtune train} with
 * do_predict: true): generates a reply for every example of eval_dataset (or of dataset, when no
 * eval_dataset is given and nothing trains), then writes
 * <ul>
 *   <li>output_dir/generated_predictions.jsonl — one {"prompt", "predict", "label"} line per example,
 *       the prompt decoded with its special tokens, predict and label with skip_special_tokens;</li>
 *   <li>output_dir/predict_results.json (and all_results.json) — predict_bleu-4, predict_rouge-1,
 *       predict_rouge-2, predict_rouge-l as LLaMA-Factory's ComputeSimilarity, plus predict_runtime,
 *       predict_samples_per_second and predict_steps_per_second.</li>
 * </ul>
 * "Batched" generation runs the examples of a batch one after another through one reused KV cache
 * (the ops inside each step are parallel already); per_device_eval_batch_size only sets the step count
 * the speed metrics report, as in HF.
 */
public final class PredictWorkflow {
    public static final String PREDICTIONS_FILE = "generated_predictions.jsonl";

    private final JtuneConfig config;
    private final PrintStream log;
    private final Cancellation cancellation;

    public PredictWorkflow(JtuneConfig config, PrintStream log) {
        this(config, log, new Cancellation());
    }

    /** @param cancellation checked before each example (the web UI's Abort); a cancelled run writes nothing */
    public PredictWorkflow(JtuneConfig config, PrintStream log, Cancellation cancellation) {
        this.config = config;
        this.log = log;
        this.cancellation = cancellation;
    }

    /**
     * Whether the config asks for generated predictions (do_predict: true); stage rm's do_predict scores
     * its pairs within the training run instead.
     */
    public static boolean requested(JtuneConfig config) {
        return config.training().doPredict() && !"rm".equals(config.finetuning().stage());
    }

    /**
     * The config for predicting with what a training run just saved in output_dir: its LoRA adapter
     * (finetuning_type lora) or its full model, with training and evaluation off.
     */
    public static JtuneConfig afterTraining(Path configFile, List<String> overrides, JtuneConfig trained) {
        List<String> o = new java.util.ArrayList<>(overrides);
        String out = Path.of(trained.training().outputDir()).toAbsolutePath().toString();
        o.add(trained.finetuning().isLora() ? "adapter_name_or_path=" + out : "model_name_or_path=" + out);
        o.add("do_train=false");
        return io.jtune.config.ConfigLoader.load(configFile, o);
    }

    /** The tokens of generation {@code index}, waiting for them; a cancellation stops every generation and writes nothing. */
    private int[] awaitTokens(BatchedGeneration generation, List<BatchedGeneration> all, int index, int total, Path outputDir) {
        try {
            while (generation.next() >= 0) {
                if (cancellation.isCancelled()) {
                    all.forEach(BatchedGeneration::stop);
                    log.println();
                    throw new JtuneException("prediction stopped after " + index + " of " + total
                            + " example(s); nothing was written to " + outputDir);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            all.forEach(BatchedGeneration::stop);
            throw new JtuneException("prediction interrupted after " + index + " of " + total + " example(s); nothing was written to " + outputDir);
        }
        return generation.end().tokens();
    }

    /** What prediction produced: the metrics written to predict_results.json. */
    public record Result(Path outputDir, Map<String, Object> metrics) {}

    public Result run() throws IOException {
        TrainingArguments args = config.training();
        DataArguments data = config.data();
        if (!config.training().predictWithGenerate()) {
            throw new JtuneException("do_predict: jtune predicts by generating; set predict_with_generate: true "
                    + "(token accuracy from logits is not supported yet)");
        }
        if (args.outputDir() == null || args.outputDir().isBlank()) {
            throw new JtuneException("output_dir: required with do_predict (generated_predictions.jsonl and predict_results.json go there)");
        }
        List<String> names = !data.evalDataset().isEmpty() ? data.evalDataset() : data.dataset();
        if (names.isEmpty()) throw new JtuneException("eval_dataset: required with do_predict (names from dataset_info.json)");
        Path outputDir = Path.of(args.outputDir());

        try (ChatModel model = ChatModel.load(config)) {
            SkipReport skips = new SkipReport();
            List<AlignedExample> aligned = PredictionExamples.read(Path.of(data.datasetDir()), names, data.maxSamples(),
                    data.mixStrategy(), data.interleaveProbs(), args.seed(), skips);
            if (!skips.isEmpty()) log.println("Skipped " + skips.total() + " record(s):" + System.lineSeparator() + skips.summary().stripTrailing());
            if (aligned.isEmpty()) throw skips.nothingLeft("eval_dataset " + String.join(",", names));
            log.printf("Predicting %d example(s) of %s with %s%n", aligned.size(), String.join(",", names), model.name());

            HfTokenizer tok = model.tokenizer();
            GenerationSettings settings = model.defaults().withSeed((long) args.seed());
            SimilarityMetrics similarity = new SimilarityMetrics();
            StringBuilder lines = new StringBuilder();
            long start = System.nanoTime();
            // Every example goes to the continuous batcher at once; per_device_eval_batch_size of them decode together.
            List<PredictionExamples.Example> examples = new java.util.ArrayList<>(aligned.size());
            List<BatchedGeneration> generations = new java.util.ArrayList<>(aligned.size());
            try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), Math.max(1, args.perDeviceEvalBatchSize()),
                    LocalChatEngine.PREFILL_TOKENS_PER_STEP)) {
                for (AlignedExample example : aligned) {
                    PredictionExamples.Example ex = switch (model.format()) {
                        case NamedTemplateFormat named -> PredictionExamples.encode(example, named.template(), named.chatTokenizer(),
                                data.cutoffLen());
                        case ModelTemplateFormat own -> PredictionExamples.encode(example, own, tok, data.cutoffLen());
                        default -> throw new IllegalStateException("unknown prompt format " + model.format().describe());
                    };
                    examples.add(ex);
                    generations.add(batcher.submit(ex.promptIds(), model.adapter(), settings, model.stopIds()));
                }
                for (int i = 0; i < aligned.size(); i++) {
                    int[] tokens = awaitTokens(generations.get(i), generations, i, aligned.size(), outputDir);
                    PredictionExamples.Example ex = examples.get(i);
                    String predict = tok.decode(tokens, model.skipSpecialTokens());
                    String label = tok.decode(ex.labelIds(), model.skipSpecialTokens());
                    similarity.add(predict, label);
                    Map<String, String> line = new LinkedHashMap<>();
                    line.put("prompt", tok.decode(ex.promptIds(), false));
                    line.put("predict", predict);
                    line.put("label", label);
                    lines.append(PythonJson.dumps(line, PythonJson.Options.NON_ASCII_KEPT)).append('\n');
                    log.printf("\rpredict %d/%d", i + 1, aligned.size());
                }
            }
            log.println();
            double seconds = (System.nanoTime() - start) / 1e9;
            Files.createDirectories(outputDir);
            AtomicFiles.writeString(outputDir.resolve(PREDICTIONS_FILE), lines.toString());

            Map<String, Object> metrics = new TreeMap<>();
            similarity.result().forEach((k, v) -> metrics.put("predict_" + k, v));
            int batch = args.perDeviceEvalBatchSize();
            metrics.putAll(MetricsFiles.speed("predict", seconds, aligned.size(), (aligned.size() + batch - 1) / batch, 0));
            MetricsFiles.save(outputDir, "predict", metrics);
            log.println("***** predict metrics *****");
            metrics.forEach((k, v) -> log.printf("  %-28s = %s%n", k, v));
            log.println("Saved predictions to " + outputDir.resolve(PREDICTIONS_FILE).toAbsolutePath());
            return new Result(outputDir, metrics);
        }
    }
}
