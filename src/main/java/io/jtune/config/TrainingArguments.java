package io.jtune.config;

import io.jtune.JtuneException;
import java.util.List;
import java.util.Map;

/**
 * The HF Trainer arguments jtune honours, with transformers' derived values: do_eval implied by
 * eval_strategy, eval_steps defaulting to logging_steps, data_seed to seed, report_to normalised
 * ("none" = nothing, "all" = every reporter jtune has, i.e. tensorboard), metric_for_best_model
 * defaulting to loss with load_best_model_at_end, greater_is_better to false for a metric named *loss
 * and true otherwise (null when no metric is watched).
 */
public record TrainingArguments(
        String outputDir,
        boolean overwriteOutputDir,
        boolean doTrain,
        boolean doEval,
        boolean doPredict,
        boolean predictWithGenerate,
        int perDeviceTrainBatchSize,
        int perDeviceEvalBatchSize,
        int gradientAccumulationSteps,
        double learningRate,
        double numTrainEpochs,
        int maxSteps,
        String lrSchedulerType,
        Map<String, Object> lrSchedulerKwargs,
        double warmupRatio,
        double warmupSteps,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double maxGradNorm,
        String optim,
        int seed,
        int dataSeed,
        boolean bf16,
        boolean fp16,
        boolean gradientCheckpointing,
        double loggingSteps,
        boolean loggingFirstStep,
        String includeNumInputTokensSeen,
        String loggingDir,
        List<String> reportTo,
        String runName,
        Boolean disableTqdm,
        String evalStrategy,
        double evalSteps,
        String saveStrategy,
        double saveSteps,
        Integer saveTotalLimit,
        boolean saveOnlyModel,
        String resumeFromCheckpoint,
        boolean loadBestModelAtEnd,
        String metricForBestModel,
        Boolean greaterIsBetter) {

    static TrainingArguments from(JtuneConfig c) {
        String evalStrategy = c.string("eval_strategy");
        double loggingSteps = c.real("logging_steps");
        Double evalSteps = c.nullableReal("eval_steps");
        Integer dataSeed = c.nullableInteger("data_seed");
        boolean doTrain = c.bool("do_train");
        String outputDir = c.string("output_dir");
        if (doTrain && (outputDir == null || outputDir.isBlank())) {
            throw c.error("output_dir", "is required when do_train is true: the folder for checkpoints, weights and logs");
        }
        boolean loadBest = c.bool("load_best_model_at_end");
        String metric = c.string("metric_for_best_model");
        if (metric != null && metric.isBlank()) throw c.error("metric_for_best_model", "is empty; name an evaluation metric such as loss");
        if (metric == null && loadBest) metric = "loss"; // transformers' default
        Boolean greaterIsBetter = c.nullableBool("greater_is_better");
        if (greaterIsBetter == null && metric != null) greaterIsBetter = !metric.endsWith("loss"); // transformers' default
        if (c.bool("bf16") && c.bool("fp16")) {
            throw c.error("fp16", "bf16 and fp16 cannot both be true; choose one");
        }
        String scheduler = c.string("lr_scheduler_type");
        Map<String, Object> kwargs = c.map("lr_scheduler_kwargs");
        try {
            // Checked here, not when training starts, so that a bad schedule fails before the model loads.
            LrSchedulerRules.check(scheduler, c.real("learning_rate"), kwargs);
        } catch (JtuneException e) {
            throw c.error(c.isSet("lr_scheduler_kwargs") ? "lr_scheduler_kwargs" : "lr_scheduler_type", e.getMessage());
        }
        return new TrainingArguments(
                outputDir,
                c.bool("overwrite_output_dir"),
                doTrain,
                c.bool("do_eval") || !"no".equals(evalStrategy),
                c.bool("do_predict"),
                c.bool("predict_with_generate"),
                c.integer("per_device_train_batch_size"),
                c.integer("per_device_eval_batch_size"),
                c.integer("gradient_accumulation_steps"),
                c.real("learning_rate"),
                c.real("num_train_epochs"),
                c.integer("max_steps"),
                scheduler,
                kwargs,
                c.real("warmup_ratio"),
                c.real("warmup_steps"),
                c.real("weight_decay"),
                c.real("adam_beta1"),
                c.real("adam_beta2"),
                c.real("adam_epsilon"),
                c.real("max_grad_norm"),
                c.string("optim"),
                c.integer("seed"),
                dataSeed != null ? dataSeed : c.integer("seed"),
                c.bool("bf16"),
                c.bool("fp16"),
                c.bool("gradient_checkpointing"),
                loggingSteps,
                c.bool("logging_first_step"),
                c.string("include_num_input_tokens_seen"),
                c.string("logging_dir"),
                normaliseReportTo(c.list("report_to")),
                c.string("run_name"),
                c.nullableBool("disable_tqdm"),
                evalStrategy,
                evalSteps != null ? evalSteps : loggingSteps,
                c.string("save_strategy"),
                c.real("save_steps"),
                c.nullableInteger("save_total_limit"),
                c.bool("save_only_model"),
                c.string("resume_from_checkpoint"),
                loadBest,
                metric,
                greaterIsBetter);
    }

    /** transformers: "none" means no reporters, "all" every installed one; jtune's only one is tensorboard. */
    private static List<String> normaliseReportTo(List<String> given) {
        if (given == null || given.isEmpty() || given.contains("none")) {
            return List.of();
        }
        if (given.contains("all")) {
            return List.of("tensorboard");
        }
        return given.stream().filter("tensorboard"::equals).distinct().toList();
    }
}
