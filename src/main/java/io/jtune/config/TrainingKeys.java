package io.jtune.config;

/**
 * The Hugging Face Seq2SeqTrainingArguments that LLaMA-Factory's TrainingArguments extends (same names
 * and defaults as transformers), plus LLaMA-Factory's own additions (overwrite_output_dir, ray, profiler, fp8).
 */
final class TrainingKeys extends KeyTable {
    private static final String GPU_ONLY = "a CUDA setting; jtune computes on the CPU in fp32";

    TrainingKeys() {
        super(Group.TRAINING);
        str("output_dir", null, "Folder for checkpoints, the adapter or model, logs and results (required when do_train).");
        bool("overwrite_output_dir", false, "Start afresh in an existing output_dir instead of resuming from its last checkpoint.");
        bool("do_train", false, "Run training.");
        bool("do_eval", false, "Run evaluation (eval_loss) on eval_dataset or the val_size split; implied by eval_strategy other than no.");
        bool("do_predict", false, "Generate predictions for the eval set (needs predict_with_generate).");

        integer("per_device_train_batch_size", 8, "Examples per training micro-batch.").atLeast(1);
        integer("per_device_eval_batch_size", 8, "Examples per evaluation batch.").atLeast(1);
        integer("gradient_accumulation_steps", 1, "Micro-batches per optimizer step; the loss is normalised over all their label tokens.").atLeast(1);
        real("learning_rate", 5e-5, "Peak learning rate.").atLeast(0);
        real("num_train_epochs", 3.0, "Epochs to train (fractions allowed); max_steps > 0 overrides it.").atLeast(0);
        integer("max_steps", -1, "Total optimizer steps; -1 = from num_train_epochs.").atLeast(-1);
        choice("lr_scheduler_type", "linear", "Learning-rate schedule after warmup (transformers' get_scheduler names).",
                "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay")
                .unsupportedValues("this schedule is not implemented yet", "reduce_lr_on_plateau", "cosine_warmup_with_min_lr", "warmup_stable_decay");
        map("lr_scheduler_kwargs", "Extra schedule arguments, e.g. {min_lr: 1.0e-6} or {min_lr_rate: 0.1} for cosine_with_min_lr, num_cycles, power, lr_end.");
        real("warmup_ratio", 0.0, "Warmup length as a fraction of the total steps: ceil(ratio x total).").atLeast(0).atMost(1);
        real("warmup_steps", 0.0, "Warmup steps (>= 1), or a fraction of the total steps (< 1); wins over warmup_ratio.").atLeast(0);
        real("weight_decay", 0.0, "Decoupled weight decay (AdamW), not applied to biases and norm weights.").atLeast(0);
        real("adam_beta1", 0.9, "AdamW beta1.").atLeast(0).atMost(1);
        real("adam_beta2", 0.999, "AdamW beta2.").atLeast(0).atMost(1);
        real("adam_epsilon", 1e-8, "AdamW epsilon.").atLeast(0);
        real("max_grad_norm", 1.0, "Clip the global gradient norm to this; 0 disables clipping.").atLeast(0);
        choice("optim", "adamw_torch", "Optimizer (transformers' OptimizerNames).",
                "adamw_torch", "adamw_torch_fused", "adamw_apex_fused", "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit",
                "adafactor", "adamw_bnb_8bit", "adamw_8bit", "paged_adamw_32bit", "paged_adamw_8bit", "lion_8bit", "lion_32bit",
                "paged_lion_32bit", "paged_lion_8bit", "sgd", "adagrad", "rmsprop", "ademamix", "schedule_free_adamw",
                "schedule_free_sgd", "galore_adamw", "apollo_adamw", "lomo", "adalomo", "grokadamw")
                .unsupportedValues("only adamw_torch (adamw_torch_fused is the same update) and sgd are implemented",
                        "adamw_apex_fused", "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit", "adafactor", "adamw_bnb_8bit",
                        "adamw_8bit", "paged_adamw_32bit", "paged_adamw_8bit", "lion_8bit", "lion_32bit", "paged_lion_32bit",
                        "paged_lion_8bit", "adagrad", "rmsprop", "ademamix", "schedule_free_adamw", "schedule_free_sgd",
                        "galore_adamw", "apollo_adamw", "lomo", "adalomo", "grokadamw");
        str("optim_args", null, "Extra optimizer arguments.").unsupported("optimizer arguments beyond the adam_* keys are not implemented");
        integer("seed", 42, "Seed for initialisation (LoRA A), dropout and shuffling.");
        integer("data_seed", null, "Seed for shuffling the data (default: seed).");

        bool("bf16", false, "bf16 mixed precision. jtune keeps frozen weights in their stored dtype (bf16: 2 bytes a parameter) and computes in fp32.");
        bool("fp16", false, "fp16 mixed precision. jtune keeps frozen weights in their stored dtype and computes in fp32.");
        bool("bf16_full_eval", false, "Evaluate in pure bf16.").ignored("jtune evaluates with the same fp32 math it trains with");
        bool("fp16_full_eval", false, "Evaluate in pure fp16.").ignored("jtune evaluates with the same fp32 math it trains with");
        bool("tf32", null, "TF32 matmuls on Ampere GPUs.").ignored(GPU_ONLY);
        bool("gradient_checkpointing", false, "Recompute activations in backward to save memory (same gradients);"
                + " LLaMA-Factory does it anyway unless disable_gradient_checkpointing.");
        map("gradient_checkpointing_kwargs", "Arguments of PyTorch's gradient checkpointing (use_reentrant).").ignored("PyTorch implementation details; jtune's recomputation gives the same gradients");
        bool("torch_compile", false, "Compile the model with torch.compile.").ignored(SPEED_ONLY);
        bool("use_liger_kernel", false, "Liger kernels.").ignored(SPEED_ONLY);
        bool("use_cache", false, "Use the KV cache in training forward passes.").ignored("a KV cache does not change a training forward pass");
        real("neftune_noise_alpha", null, "NEFTune embedding noise.").unsupported("NEFTune is not implemented");
        real("label_smoothing_factor", 0.0, "Label smoothing of the loss.").unsupported("label smoothing is not implemented");
        bool("auto_find_batch_size", false, "Halve the batch size on out-of-memory.").unsupported("jtune estimates memory before training instead; set the batch size yourself");
        integer("torch_empty_cache_steps", null, "Empty the CUDA cache every n steps.").ignored(GPU_ONLY);

        choice("logging_strategy", "steps", "When to log: steps, epoch, no.", "no", "steps", "epoch")
                .unsupportedValues("only logging every logging_steps is implemented", "no", "epoch");
        real("logging_steps", 500.0, "Log every n optimizer steps (or a fraction < 1 of the total steps).").above(0);
        bool("logging_first_step", false, "Also log after the first step.");
        bool("logging_nan_inf_filter", true, "Leave NaN/Inf losses out of the logged mean.").ignored("a NaN or Inf loss stops jtune's training, so there is nothing to filter");
        choice("include_num_input_tokens_seen", "no", "Count input tokens (reported as num_input_tokens_seen, throughput and total_tokens).", "no", "all", "non_padding");
        str("logging_dir", null, "TensorBoard folder (default output_dir/runs/<date>_<host>).");
        list("report_to", "none", "Where to report metrics: none, all, tensorboard (others are ignored with a warning).")
                .choices("none", "all", "tensorboard", "wandb", "mlflow", "swanlab", "trackio", "comet_ml", "clearml", "neptune",
                        "dagshub", "dvclive", "flyte", "codecarbon", "azure_ml")
                .ignoredValues("jtune writes TensorBoard event files only; this changes where metrics go, not what is trained",
                        "wandb", "mlflow", "swanlab", "trackio", "comet_ml", "clearml", "neptune", "dagshub", "dvclive", "flyte", "codecarbon", "azure_ml");
        str("run_name", null, "Name of the run for reporting.");
        choice("log_level", "passive", "Log level of the main process.", "debug", "info", "warning", "error", "critical", "passive").ignored("log verbosity only");
        bool("disable_tqdm", null, "Turn the progress bar off (plain log lines instead).");
        bool("skip_memory_metrics", true, "Skip memory metrics.").ignored("metrics reporting only");

        choice("eval_strategy", "no", "When to evaluate: no, steps (every eval_steps), epoch.", "no", "steps", "epoch");
        real("eval_steps", null, "Evaluate every n optimizer steps (or a fraction < 1 of the total); default logging_steps.").above(0);
        real("eval_delay", 0.0, "Epochs or steps before the first evaluation.").unsupported("delayed evaluation is not implemented");
        bool("eval_on_start", false, "Evaluate before the first step.").unsupported("evaluation before training is not implemented");
        integer("eval_accumulation_steps", null, "Move predictions to the CPU every n eval steps.").ignored("a GPU memory detail; eval_loss is the same");
        bool("prediction_loss_only", false, "Return only the loss in evaluation.").ignored("jtune's evaluation reports the loss only anyway");

        choice("save_strategy", "steps", "When to save checkpoints: steps (every save_steps), epoch (at each epoch's end),"
                + " best (whenever metric_for_best_model reaches a new best), no.", "no", "steps", "epoch", "best");
        real("save_steps", 500.0, "Save a checkpoint-N every n optimizer steps (or a fraction < 1 of the total).").above(0);
        integer("save_total_limit", null, "Keep at most this many checkpoints, deleting the oldest.").atLeast(1);
        bool("save_only_model", false, "Save only weights in checkpoints (no optimizer, scheduler or RNG state; cannot resume).");
        bool("save_safetensors", true, "Save weights as safetensors.").unsupported("jtune writes safetensors only");
        bool("save_on_each_node", false, "Save on every node.").ignored(SINGLE_PROCESS);
        str("resume_from_checkpoint", null, "Checkpoint folder to resume from (by default the last checkpoint-N in output_dir, unless overwrite_output_dir).");
        bool("ignore_data_skip", false, "On resume, restart the data from the beginning.").unsupported("resuming always continues from the saved data position");
        bool("load_best_model_at_end", false, "At the end, load the best checkpoint (by metric_for_best_model): the adapter or model"
                + " saved in output_dir and the final evaluation are the best one's. Needs save_strategy equal to eval_strategy"
                + " (save_steps a multiple of eval_steps) or best.");
        str("metric_for_best_model", null, "Evaluation metric that picks the best checkpoint, with or without the eval_ prefix"
                + " (loss, rewards/accuracies, accuracy, ...); default loss when load_best_model_at_end.");
        bool("greater_is_better", null, "Whether a greater metric_for_best_model is better; default false for a metric"
                + " whose name ends in loss, true otherwise.");
        bool("full_determinism", false, "Deterministic algorithms everywhere.").ignored("jtune's training is deterministic for a given seed whatever the thread count");
        bool("use_cpu", false, "Train on the CPU.").ignored("jtune trains on the CPU always");

        bool("push_to_hub", false, "Push the model to the Hub.").unsupported(HUB);
        str("hub_model_id", null, "Hub repository.").ignored("only used with push_to_hub, which jtune refuses");
        str("hub_token", null, "Hub token.").ignored("only used with push_to_hub, which jtune refuses");
        str("hub_strategy", "every_save", "What to push and when.").ignored("only used with push_to_hub, which jtune refuses");
        bool("hub_private_repo", null, "Make the Hub repository private.").ignored("only used with push_to_hub, which jtune refuses");

        bool("dataloader_drop_last", false, "Drop the last incomplete batch.").unsupported("dropping the last batch is not implemented");
        integer("dataloader_num_workers", 0, "Data loading processes.").ignored("parallelism only; the batches are the same");
        bool("dataloader_pin_memory", true, "Pin data loader memory.").ignored(GPU_ONLY);
        bool("dataloader_persistent_workers", false, "Keep data loader workers alive.").ignored("parallelism only; the batches are the same");
        integer("dataloader_prefetch_factor", null, "Batches prefetched per worker.").ignored("parallelism only; the batches are the same");
        bool("remove_unused_columns", true, "Drop dataset columns the model does not take.").ignored("LLaMA-Factory turns it off itself; jtune's batches carry only what the model needs");
        bool("group_by_length", false, "Batch examples of similar length together.").unsupported("length-grouped sampling is not implemented");
        choice("train_sampling_strategy", "random", "Training sampler.", "random", "sequential", "group_by_length")
                .unsupportedValues("use disable_shuffling for sequential order; length grouping is not implemented", "sequential", "group_by_length");

        integer("ddp_timeout", 1800, "Timeout of distributed initialisation (seconds).").ignored(SINGLE_PROCESS);
        bool("ddp_find_unused_parameters", null, "DDP find_unused_parameters.").ignored(SINGLE_PROCESS);
        integer("ddp_bucket_cap_mb", null, "DDP bucket size.").ignored(SINGLE_PROCESS);
        bool("ddp_broadcast_buffers", null, "DDP broadcast_buffers.").ignored(SINGLE_PROCESS);
        str("ddp_backend", null, "Distributed backend.").ignored(SINGLE_PROCESS);
        bool("average_tokens_across_devices", true, "Average token counts across devices.").ignored(SINGLE_PROCESS);
        any("deepspeed", "DeepSpeed configuration (a JSON file or a mapping).")
                .ignored("ZeRO only shards training state across GPUs (the update is the same) and jtune trains in one process;"
                        + " the file is read, and one that sets the optimizer, schedule, precision, batch size or clipping itself"
                        + " (not \"auto\") is an error");
        any("fsdp", "PyTorch FSDP options.").ignored("FSDP only shards weights and training state across GPUs (the update is the same);"
                + " jtune trains in one process");
        any("fsdp_config", "PyTorch FSDP configuration.").ignored("FSDP's wrapping and sharding settings; jtune trains in one process");
        any("accelerator_config", "Accelerate configuration.").ignored(SINGLE_PROCESS);

        // Seq2SeqTrainingArguments
        bool("predict_with_generate", false, "Generate in evaluation/prediction (for BLEU/ROUGE).");
        bool("sortish_sampler", false, "Sortish sampler.").unsupported("length-sorted sampling is not implemented");
        integer("generation_max_length", null, "max_length of generation in prediction.").ignored("jtune's prediction uses the generating keys (max_new_tokens, do_sample, ...)");
        integer("generation_num_beams", null, "Beams of generation in prediction.").ignored("jtune's prediction uses the generating keys (max_new_tokens, do_sample, ...)");
        any("generation_config", "Generation configuration for prediction.").ignored("jtune's prediction uses the generating keys (max_new_tokens, do_sample, ...)");

        // LLaMA-Factory's additions: ray, profiler, fp8
        // jtune-spark (docs/distributed.md) reads these three: workers are Spark barrier tasks
        integer("ray_num_workers", 1, "Data-parallel workers: with jtune-spark, the Spark barrier tasks that train together.")
                .ignored(DISTRIBUTED_BY_SPARK);
        any("resources_per_worker", "Resources of each worker, e.g. {CPU: 4}: with jtune-spark, the compute threads of each barrier task"
                + " (must equal spark.task.cpus); GPU is refused.").ignored(DISTRIBUTED_BY_SPARK);
        str("ray_storage_path", null, "Shared storage all workers see: with jtune-spark, a relative output_dir is placed under it.")
                .ignored(DISTRIBUTED_BY_SPARK);
        any("ray_init_kwargs", "ray.init arguments.").ignored(SINGLE_PROCESS);
        str("master_addr", null, "Distributed master address.").ignored(SINGLE_PROCESS);
        str("master_port", null, "Distributed master port.").ignored(SINGLE_PROCESS);
        bool("enable_torch_profiler", false, "Profile with the PyTorch profiler.").ignored("a PyTorch profiling aid; use jtune bench for speed");
        bool("fp8", false, "FP8 mixed precision (Hopper GPUs).").unsupported("FP8 training is not implemented");
        str("fp8_backend", "auto", "FP8 backend.").ignored("only used with fp8, which jtune refuses");
    }
}
