package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.DataArguments;
import io.jtune.config.FinetuningArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.config.TrainingArguments;
import io.jtune.data.DataModule;
import io.jtune.data.DataOptions;
import io.jtune.data.DataPreview;
import io.jtune.data.DatasetPipeline;
import io.jtune.data.TokenizedExample;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.train.LearningRateSchedule;
import io.jtune.train.ResumeDecision;
import io.jtune.train.TrainOutcome;
import io.jtune.train.Trainer;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.Optimizer;
import io.jtune.train.optim.ParamGroup;
import io.jtune.train.optim.Sgd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code jtune train}: LLaMA-Factory's run_pt / run_sft on jtune's engine. Loads the model, the
 * tokenizer and the data, builds the trainable model for the fine-tuning type, trains with the
 * HF Trainer's semantics and writes the files LLaMA-Factory writes.
 */
public final class TrainWorkflow {
    private final JtuneConfig config;
    private final PrintStream log;
    private volatile Trainer trainer;

    public TrainWorkflow(JtuneConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /** Asks a running training to stop after its current step and save a checkpoint. */
    public void requestStop() {
        Trainer t = trainer;
        if (t != null) t.requestStop();
    }

    /** What a run leaves behind, for callers (the CLI, the quickstart, the web UI, Java users). */
    public record Result(Path outputDir, TrainOutcome outcome, Double evalLoss) {}

    public Result run(List<TrainerListener> extraListeners) throws IOException {
        ModelArguments modelArgs = config.model();
        DataArguments dataArgs = config.data();
        FinetuningArguments ft = config.finetuning();
        TrainingArguments args = config.training();
        for (String w : config.warnings()) log.println("warning: " + w);
        String stage = ft.stage();
        if (!stage.equals("pt") && !stage.equals("sft")) {
            throw new JtuneException("stage: '" + stage + "' is not supported yet by jtune; supported: pt, sft");
        }
        if (!args.doTrain() && !args.doEval()) {
            throw new JtuneException("do_train and do_eval are both false: nothing to do (set do_train: true)");
        }
        Path outputDir = Path.of(args.outputDir());
        Optional<Path> resume = ResumeDecision.resolve(outputDir, args.resumeFromCheckpoint(), args.doTrain(), args.overwriteOutputDir());

        Path modelDir = ModelLocator.fromEnvironment().locate(modelArgs.modelNameOrPath(), null, HubClient.DownloadProgress.SILENT);
        try (HfModelDirectory base = HfModelDirectory.open(modelDir)) {
            ModelConfig modelConfig = base.config();
            log.printf("Model: %s (%s, %d layers, hidden %d, vocab %d)%n", modelDir, modelConfig.modelType(),
                    modelConfig.numHiddenLayers(), modelConfig.hiddenSize(), modelConfig.vocabSize());
            HfTokenizer tokenizer = HfTokenizer.load(modelDir);

            DataModule data = loadData(dataArgs, args, stage, tokenizer, modelDir);
            List<TokenizedExample> evalExamples = data.eval().getOrDefault("validation", List.of());
            if (!data.train().isEmpty()) {
                log.println(DataPreview.example("training example:", data.train().get(0), data.tokenizer()));
            }

            LoraAdapterConfig adapter = adapterConfig(modelArgs, ft);
            FinetuneSpec spec = finetuneSpec(ft, adapter);
            boolean checkpointing = args.gradientCheckpointing() || !modelArgs.disableGradientCheckpointing();
            MemoryEstimate.check(modelConfig, spec, args, dataArgs.cutoffLen(), checkpointing);
            CausalLM model = ModelBuilder.build(modelConfig, new HfWeightSource(base), spec,
                    new CausalLM.Options(checkpointing, args.seed()));
            TrainedWeights weights = new TrainedWeights(model, base, adapter == null ? null
                    : new LoraAdapterConfig(adapter.r(), adapter.loraAlpha(), adapter.loraDropout(),
                    TrainedWeights.loraTargetModules(model), adapter.useRslora(), adapter.modulesToSave(), modelArgs.modelNameOrPath()));
            if (!modelArgs.adapterNameOrPath().isEmpty()) {
                Path adapterDir = Path.of(modelArgs.adapterNameOrPath().get(0));
                weights.load(adapterDir);
                log.println("Loaded adapter " + adapterDir);
            }
            log.printf("Trainable parameters: %,d (%s)%n", model.trainableParameterCount(), ft.finetuningType());

            int padId = data.tokenizer().padId();
            List<Batch> evalBatches = DatasetBatches.inOrder(evalExamples, args.perDeviceEvalBatchSize(), padId, dataArgs.neatPacking());
            if (!args.doTrain()) {
                Double evalLoss = evaluateOnly(model, evalBatches);
                if (evalLoss != null) TrainingLogFiles.writeEvalOnly(outputDir, evalLoss);
                return new Result(outputDir, null, evalLoss);
            }
            if (data.train().isEmpty()) throw new JtuneException("dataset: no training examples left after preprocessing");
            DatasetBatches train = new DatasetBatches(data.train(), args.perDeviceTrainBatchSize(), args.dataSeed(),
                    !ft.disableShuffling(), padId, dataArgs.neatPacking());
            boolean evalSteps = "steps".equals(args.evalStrategy()) && !evalBatches.isEmpty();
            boolean saveSteps = "steps".equals(args.saveStrategy());
            TrainingPlan plan = TrainingPlan.of(train.batchesPerEpoch(), args.gradientAccumulationSteps(), args.numTrainEpochs(),
                    args.maxSteps(), args.loggingSteps(), evalSteps ? args.evalSteps() : 0, saveSteps ? args.saveSteps() : 0);
            int warmup = LearningRateSchedule.warmupSteps(args.warmupSteps(), args.warmupRatio(), plan.totalSteps());
            LearningRateSchedule schedule = LearningRateSchedule.create(args.lrSchedulerType(), args.learningRate(), warmup,
                    plan.totalSteps(), args.lrSchedulerKwargs());
            Optimizer optimizer = optimizer(args, model);

            List<TrainerListener> listeners = new ArrayList<>(extraListeners);
            listeners.add(0, new TrainingLogFiles(outputDir, args, ft.plotLoss()));
            Trainer.Settings settings = new Trainer.Settings(plan, args.maxGradNorm(), args.loggingFirstStep(),
                    "epoch".equals(args.evalStrategy()) && !evalBatches.isEmpty(), args.doEval() && !evalBatches.isEmpty(),
                    "epoch".equals(args.saveStrategy()), args.saveTotalLimit(), args.seed());
            Trainer t = new Trainer(settings, model, new io.jtune.train.objective.TokenCrossEntropy(), optimizer, schedule, train, evalBatches, weights, outputDir,
                    TrainerListeners.all(listeners));
            if (resume.isPresent()) {
                log.println("Resuming training from " + resume.get());
                t.resumeFrom(resume.get());
            }
            trainer = t;
            TrainOutcome outcome = t.run();
            trainer = null;
            if (!outcome.interrupted()) {
                weights.saveFinal(outputDir, modelDir);
                log.println("Saved to " + outputDir.toAbsolutePath());
            } else {
                log.println("Training stopped at step " + outcome.globalStep() + "; resume with resume_from_checkpoint: "
                        + outputDir.resolve("checkpoint-" + outcome.globalStep()));
            }
            return new Result(outputDir, outcome, outcome.finalEvalLoss());
        }
    }

    private DataModule loadData(DataArguments d, TrainingArguments t, String stage, HfTokenizer tokenizer, Path modelDir) throws IOException {
        if (d.dataset().isEmpty() && t.doTrain()) throw new JtuneException("dataset: required for training (names from dataset_info.json)");
        if ("sft".equals(stage) && (d.template() == null || d.template().isBlank())) {
            throw new JtuneException("template: required for stage sft (e.g. qwen, llama3, chatml; see docs/templates.md)");
        }
        DataOptions options = DataOptions.builder(d.dataset(), Path.of(d.datasetDir()))
                .evalDataset(d.evalDataset())
                .template(d.template() == null ? "empty" : d.template())
                .cutoffLen(d.cutoffLen())
                .maxSamples(d.maxSamples())
                .valSize(d.valSize())
                .packing(d.packing())
                .neatPacking(d.neatPacking())
                .trainOnPrompt(d.trainOnPrompt())
                .maskHistory(d.maskHistory())
                .mixStrategy(d.mixStrategy())
                .interleaveProbs(d.interleaveProbs())
                .tokenizedPath(d.tokenizedPath() == null ? null : Path.of(d.tokenizedPath()))
                .enableThinking(d.enableThinking())
                .seed(t.seed())
                .stage(stage)
                .cacheDir(d.overwriteCache() ? null : cacheDir())
                .build();
        String fingerprint = Files.isRegularFile(modelDir.resolve("tokenizer.json"))
                ? Long.toHexString(Files.size(modelDir.resolve("tokenizer.json"))) + "-" + Files.getLastModifiedTime(modelDir.resolve("tokenizer.json")).toMillis()
                : null;
        return new DatasetPipeline(options, tokenizer, fingerprint, log).load();
    }

    /** JTUNE_CACHE, else ~/.cache/jtune: where tokenized datasets are cached between runs. */
    static Path cacheDir() {
        String env = System.getenv("JTUNE_CACHE");
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "jtune");
        return root.resolve("datasets");
    }

    private static LoraAdapterConfig adapterConfig(ModelArguments m, FinetuningArguments ft) {
        if (m.adapterNameOrPath().size() > 1) {
            throw new JtuneException("adapter_name_or_path: several adapters (" + m.adapterNameOrPath() + ") are not supported yet; give one");
        }
        if (!m.adapterNameOrPath().isEmpty()) {
            if (!ft.isLora()) throw new JtuneException("adapter_name_or_path needs finetuning_type: lora (it is " + ft.finetuningType() + ")");
            return LoraAdapterConfig.read(Path.of(m.adapterNameOrPath().get(0)));
        }
        if (!ft.isLora()) return null;
        return new LoraAdapterConfig(ft.loraRank(), ft.loraAlpha(), ft.loraDropout(), ft.loraTarget(), ft.useRslora(),
                ft.additionalTarget(), null);
    }

    /** The engine's fine-tuning spec; a loaded adapter brings its own rank, alpha and targets, as PEFT does. */
    private static FinetuneSpec finetuneSpec(FinetuningArguments ft, LoraAdapterConfig adapter) {
        return switch (ft.finetuningType()) {
            case "lora" -> FinetuneSpec.lora(new FinetuneSpec.Lora(adapter.r(), adapter.loraAlpha(), adapter.loraDropout(),
                    adapter.targetModules(), adapter.useRslora(), adapter.modulesToSave()));
            case "freeze" -> FinetuneSpec.freeze(new FinetuneSpec.Freeze(ft.freezeTrainableLayers(),
                    ft.freezeTrainableModules(), ft.freezeExtraModules()));
            case "full" -> FinetuneSpec.full();
            default -> throw new JtuneException("finetuning_type: '" + ft.finetuningType() + "' is not one of lora, freeze, full");
        };
    }

    private static Optimizer optimizer(TrainingArguments args, CausalLM model) {
        List<ParamGroup> groups = ParamGroup.hfDefault(model.trainableParameters(), args.weightDecay());
        return switch (args.optim()) {
            case "adamw_torch", "adamw_torch_fused", "adamw_hf" -> new AdamW(model.parameterValues(), model.gradients(), groups,
                    args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            case "sgd" -> new Sgd(model.parameterValues(), model.gradients(), groups, 0.0);
            default -> throw new JtuneException("optim: '" + args.optim() + "' is not supported yet by jtune; supported: adamw_torch, sgd");
        };
    }

    private static Double evaluateOnly(CausalLM model, List<Batch> batches) {
        if (batches.isEmpty()) throw new JtuneException("do_eval: no evaluation data; set val_size or eval_dataset");
        double weighted = 0;
        long examples = 0;
        for (Batch b : batches) {
            var l = model.evaluate(b);
            if (l.labelTokens() == 0) continue;
            weighted += l.mean() * b.batchSize();
            examples += b.batchSize();
        }
        return examples == 0 ? null : weighted / examples;
    }
}
