package io.jtune.config;

/** LLaMA-Factory's FinetuningArguments (hparams/finetuning_args.py): stage, method and their settings. */
final class FinetuningKeys extends KeyTable {
    private static final String OFT_ONLY = "only used by finetuning_type oft, which jtune refuses";

    FinetuningKeys() {
        super(Group.FINETUNING);
        choice("stage", "sft", "Training stage: pt (pre-training), sft (supervised fine-tuning), rm, ppo, dpo, kto, grpo"
                + " (online RL: ppo with a reward model, grpo with reward functions; docs/rl.md).",
                "pt", "sft", "rm", "ppo", "dpo", "kto", "grpo");
        choice("finetuning_type", "lora", "What is trained: lora (low-rank adapters), freeze (the last layers), full (everything).",
                "lora", "oft", "freeze", "full")
                .unsupportedValues("OFT adapters are not implemented", "oft");
        bool("pure_bf16", false, "Train in pure bf16 (no fp32 master weights).")
                .unsupported("jtune keeps trainable weights, gradients and optimizer state in fp32");
        bool("use_llama_pro", false, "LLaMA Pro: train only the expanded blocks.").unsupported("LLaMA Pro block expansion is not implemented");
        bool("use_adam_mini", false, "Use the Adam-mini optimizer.").unsupported("Adam-mini is not implemented (optim: adamw_torch or sgd)");
        bool("use_mca", false, "Megatron Core Adapter training.").unsupported("Megatron is a distributed GPU backend; not implemented");
        bool("use_megatron_bridge", false, "Megatron Bridge training.").unsupported("Megatron is a distributed GPU backend; not implemented");
        bool("use_hyper_parallel", false, "HyperParallel distributed training (FSDP/TP).").unsupported(SINGLE_PROCESS);
        str("hyper_parallel_args", null, "HyperParallel strategy arguments (JSON file).").ignored(SINGLE_PROCESS);
        integer("hyper_parallel_cp_size", 1, "HyperParallel context-parallel size.").ignored(SINGLE_PROCESS);
        bool("use_muon", false, "Use the Muon optimizer.").unsupported("Muon is not implemented (optim: adamw_torch or sgd)");
        bool("use_dft_loss", false, "Dynamic fine-tuning (DFT) loss.").unsupported("the DFT loss is not implemented");
        bool("use_asft_loss", false, "ASFT loss.").unsupported("the ASFT loss is not implemented");
        real("asft_alpha", 0.1, "ASFT loss weight.").ignored("only used with use_asft_loss, which jtune refuses");
        bool("use_eaft_loss", false, "EAFT loss.").unsupported("the EAFT loss is not implemented");
        real("eaft_alpha", 1.0, "EAFT loss weight.").ignored("only used with use_eaft_loss, which jtune refuses");
        bool("freeze_vision_tower", true, "Freeze the vision tower of multimodal models.").ignored(TEXT_ONLY);
        bool("freeze_multi_modal_projector", true, "Freeze the multimodal projector.").ignored(TEXT_ONLY);
        bool("freeze_language_model", false, "Freeze the language model of multimodal models.").ignored(TEXT_ONLY);
        bool("compute_accuracy", false, "Compute token accuracy at evaluation.").unsupported("the accuracy metric is not implemented; eval_loss is reported");
        bool("disable_shuffling", false, "Do not shuffle the training set.");
        integer("early_stopping_steps", null, "Stop when metric_for_best_model has not improved for this many consecutive evaluations"
                + " (HF's EarlyStoppingCallback patience).").atLeast(1);
        bool("plot_loss", false, "Save training_loss.png (and training_eval_loss.png) in output_dir.");
        bool("include_effective_tokens_per_second", false, "Report effective_tokens_per_sec (non-padding tokens per second) in train_results.json.");

        // Freeze (FreezeArguments)
        integer("freeze_trainable_layers", 2, "Trainable layers in freeze tuning: n > 0 trains the last n layers, n < 0 the first -n.");
        list("freeze_trainable_modules", "all", "Modules trained inside the trainable layers (e.g. mlp,self_attn); all = every module.");
        list("freeze_extra_modules", null, "Modules outside the layers also trained in freeze tuning (e.g. embed_tokens,lm_head).");

        // LoRA (LoraArguments)
        list("additional_target", null, "Modules trained fully beside the LoRA layers and saved with the adapter (PEFT modules_to_save).");
        integer("lora_alpha", null, "LoRA scale numerator (scale = alpha / rank); default 2 x lora_rank.").atLeast(1);
        real("lora_dropout", 0.0, "Dropout on the LoRA input.").atLeast(0).atMost(1);
        integer("lora_rank", 8, "Rank of the LoRA matrices.").atLeast(1);
        list("lora_target", "all", "Modules that get LoRA (e.g. q_proj,v_proj); all = every linear layer except lm_head.");
        real("loraplus_lr_ratio", null, "LoRA+: the B matrices (and 1-D parameters such as DoRA's magnitude) train at this multiple of the learning rate.").above(0);
        real("loraplus_lr_embedding", 1e-6, "LoRA+: learning rate of LoRA embedding factors (lora_embedding_B).").above(0);
        bool("use_rslora", false, "Rank-stabilised LoRA (scale = alpha / sqrt(rank)).");
        bool("use_dora", false, "Weight-decomposed LoRA (DoRA): a trained magnitude per output row over the LoRA update.");
        bool("pissa_init", false, "Initialise LoRA with PiSSA: A and B from the top singular vectors, the residual frozen as the base.");
        integer("pissa_iter", 16, "PiSSA fast-SVD iterations; -1 = exact SVD.").atLeast(-1);
        bool("pissa_convert", false, "After training, also write the adapter as a plain LoRA over the original base (output_dir/pissa_converted).");
        bool("create_new_adapter", false, "Create a new adapter on top of the loaded one(s) instead of training them.").unsupported("stacking a new adapter on loaded ones is not implemented");

        // OFT (OFTArguments)
        real("module_dropout", 0.0, "OFT module dropout.").ignored(OFT_ONLY);
        integer("oft_rank", 0, "OFT rank.").ignored(OFT_ONLY);
        integer("oft_block_size", 32, "OFT block size.").ignored(OFT_ONLY);
        list("oft_target", "all", "Modules that get OFT.").ignored(OFT_ONLY);

        // RLHF (RLHFArguments)
        real("pref_beta", 0.1, "Beta of the preference loss (dpo; the reward scale of its metrics).").above(0);
        real("pref_ftx", 0.0, "SFT loss weight in DPO: adds pref_ftx x (-mean log-prob of the chosen answer).").atLeast(0);
        real("pref_bco_weight", 0.0, "BCO loss weight in DPO.").unsupported("the BCO loss is not implemented");
        choice("pref_loss", "sigmoid", "DPO loss type: sigmoid (DPO), hinge, ipo, orpo or simpo (the last two without a reference model).",
                "sigmoid", "hinge", "ipo", "kto_pair", "orpo", "simpo")
                .unsupportedValues("kto_pair is not implemented (use stage kto)", "kto_pair");
        real("dpo_label_smoothing", 0.0, "Robust (conservative) DPO label smoothing of the sigmoid loss, in [0, 0.5].").atLeast(0).atMost(0.5);
        real("kto_chosen_weight", 1.0, "KTO weight of desirable examples.").atLeast(0);
        real("kto_rejected_weight", 1.0, "KTO weight of undesirable examples.").atLeast(0);
        real("simpo_gamma", 0.5, "SimPO target reward margin.");
        // PPO (LLaMA-Factory's names; the TRL PPOConfig settings it leaves at their defaults under TRL's names); see docs/rl.md
        integer("ppo_buffer_size", 1, "ppo: optimizer steps per rollout batch and PPO epoch; a rollout batch is"
                + " per_device_train_batch_size x gradient_accumulation_steps x ppo_buffer_size prompts.").atLeast(1);
        integer("ppo_epochs", 4, "ppo: passes over each rollout batch (shuffled each time).").atLeast(1);
        bool("ppo_score_norm", false, "ppo: normalise the scores by the running mean and std of all scores so far.");
        real("ppo_target", 6.0, "ppo: the KL target of the adaptive KL coefficient.").above(0);
        bool("ppo_whiten_rewards", false, "ppo: whiten the per-token rewards (scale only) before GAE.");
        real("init_kl_coef", 0.2, "ppo: the starting KL coefficient (TRL's PPOConfig name).").atLeast(0).jtuneOnly();
        real("horizon", 10000.0, "ppo: the horizon of the adaptive KL coefficient, in rollouts (TRL's PPOConfig name).").above(0).jtuneOnly();
        real("gamma", 1.0, "ppo: the discount factor of GAE (TRL's PPOConfig name).").atLeast(0).atMost(1).jtuneOnly();
        real("lam", 0.95, "ppo: lambda of GAE (TRL's PPOConfig name).").atLeast(0).atMost(1).jtuneOnly();
        real("cliprange", 0.2, "ppo: clipping range of the probability ratio (TRL's PPOConfig name).").atLeast(0).jtuneOnly();
        real("cliprange_value", 0.2, "ppo: clipping range of the value around the rollout's value (TRL's PPOConfig name).").atLeast(0).jtuneOnly();
        real("vf_coef", 0.1, "ppo: weight of the value loss (TRL's PPOConfig name).").atLeast(0).jtuneOnly();
        str("ref_model", null, "A separate frozen reference model for dpo (sigmoid, hinge, ipo), kto, ppo and grpo (a local folder or hub id with"
                + " the policy's tokenizer); default: the base with the adapter off (lora) or a frozen copy of the starting weights (freeze, full).");
        list("ref_model_adapters", null, "A LoRA adapter applied to ref_model (one folder).");
        integer("ref_model_quantization_bit", null, "Quantization bits of the reference model.")
                .unsupported("quantized reference weights are not implemented; the reference keeps its checkpoint's dtype");
        str("reward_model", null, "ppo: the reward model: an rm adapter over the policy's base (reward_model_type lora), an rm model"
                + " folder or hub id (full), or the URL of a scoring server (api).");
        str("reward_model_adapters", null, "ppo: an rm adapter over reward_model (reward_model_type full); its value head scores.");
        integer("reward_model_quantization_bit", null, "Quantization bits of the reward model.")
                .unsupported("quantized reward models are not implemented; the reward model keeps its checkpoint's dtype");
        choice("reward_model_type", "lora", "ppo: lora (an rm adapter with its value head over the policy's own base), full (a separate"
                + " rm model) or api (POST the texts, read scores).", "lora", "full", "api");
        // GRPO (TRL's GRPOConfig names: LLaMA-Factory has no grpo stage); see docs/rl.md
        integer("num_generations", 8, "grpo: completions sampled per prompt (a group); per_device_train_batch_size x"
                + " gradient_accumulation_steps completions make one step, a multiple of it.").atLeast(2);
        integer("max_completion_length", null, "grpo: the most tokens of a completion (default: max_new_tokens).").atLeast(1);
        real("beta", 0.0, "grpo: weight of the k3 KL estimate against the reference (the base with adapters off, or a frozen"
                + " copy of the starting weights); 0 needs no reference.").atLeast(0);
        real("epsilon", 0.2, "grpo: lower clipping range of the importance ratio (1 - epsilon).").atLeast(0);
        real("epsilon_high", null, "grpo: upper clipping range of the importance ratio (1 + epsilon_high); default epsilon.").atLeast(0);
        integer("num_iterations", 1, "grpo: optimizer steps on each batch of rollouts (mu in the GRPO paper).").atLeast(1);
        choice("scale_rewards", "group", "grpo: divide the advantage by the std of the group's rewards, of the batch's, or not at all.",
                "group", "batch", "none");
        choice("loss_type", "dapo", "grpo: how per-token losses are aggregated (as TRL): grpo (per-sequence mean), bnpo (mean over"
                + " the micro-batch's tokens), dr_grpo (sum / (rows x max_completion_length)), dapo (mean over the step's tokens).",
                "grpo", "bnpo", "dr_grpo", "dapo");
        list("reward_funcs", null, "grpo: reward functions: exact_match, normalized_match, numeric_match, format, length, a stage-rm"
                + " output folder, an http(s) URL (LLaMA-Factory's api reward), or a Java RewardFunction's name (docs/rl.md).");
        list("reward_weights", null, "grpo: one weight per reward function (default: all 1).");
        str("reward_answer_pattern", null, "grpo: a regular expression whose first group is the completion's answer (exact_match,"
                + " normalized_match, numeric_match); default: the whole completion.");
        str("reward_format_pattern", null, "grpo: the regular expression the format reward needs the completion to match (find).");
        real("reward_numeric_tolerance", 1e-6, "grpo: numeric_match's absolute tolerance.").atLeast(0);
        integer("reward_length_min", 0, "grpo: the length reward's fewest completion tokens.").atLeast(0);
        integer("reward_length_max", null, "grpo: the length reward's most completion tokens (default: max_completion_length).").atLeast(0);
        integer("completion_log_samples", 4, "grpo, ppo: completions per step (ppo: per rollout batch) written with their rewards to completions.jsonl.").atLeast(0);
        real("ld_alpha", null, "LD-DPO alpha: the weight of the policy's answer tokens past the shorter answer of a pair.").atLeast(0).atMost(1);

        // GaLore, APOLLO, BAdam: alternative optimizers
        bool("use_galore", false, "Use the GaLore optimizer.").unsupported("GaLore is not implemented (optim: adamw_torch or sgd)");
        list("galore_target", "all", "GaLore target modules.").ignored("only used with use_galore, which jtune refuses");
        integer("galore_rank", 16, "GaLore rank.").ignored("only used with use_galore, which jtune refuses");
        integer("galore_update_interval", 200, "GaLore projection update interval.").ignored("only used with use_galore, which jtune refuses");
        real("galore_scale", 2.0, "GaLore scale.").ignored("only used with use_galore, which jtune refuses");
        choice("galore_proj_type", "std", "GaLore projection type.", "std", "reverse_std", "right", "left", "full").ignored("only used with use_galore, which jtune refuses");
        bool("galore_layerwise", false, "Layer-wise GaLore updates.").ignored("only used with use_galore, which jtune refuses");
        bool("use_apollo", false, "Use the APOLLO optimizer.").unsupported("APOLLO is not implemented (optim: adamw_torch or sgd)");
        list("apollo_target", "all", "APOLLO target modules.").ignored("only used with use_apollo, which jtune refuses");
        integer("apollo_rank", 16, "APOLLO rank.").ignored("only used with use_apollo, which jtune refuses");
        integer("apollo_update_interval", 200, "APOLLO projection update interval.").ignored("only used with use_apollo, which jtune refuses");
        real("apollo_scale", 32.0, "APOLLO scale.").ignored("only used with use_apollo, which jtune refuses");
        choice("apollo_proj", "random", "APOLLO projection.", "svd", "random").ignored("only used with use_apollo, which jtune refuses");
        choice("apollo_proj_type", "std", "APOLLO projection type.", "std", "right", "left").ignored("only used with use_apollo, which jtune refuses");
        choice("apollo_scale_type", "channel", "APOLLO scale type.", "channel", "tensor").ignored("only used with use_apollo, which jtune refuses");
        bool("apollo_layerwise", false, "Layer-wise APOLLO updates.").ignored("only used with use_apollo, which jtune refuses");
        bool("apollo_scale_front", false, "APOLLO norm-growth limiter before scaling.").ignored("only used with use_apollo, which jtune refuses");
        bool("use_badam", false, "Use the BAdam optimizer.").unsupported("BAdam is not implemented (optim: adamw_torch or sgd)");
        choice("badam_mode", "layer", "BAdam mode.", "layer", "ratio").ignored("only used with use_badam, which jtune refuses");
        integer("badam_start_block", null, "BAdam start block.").ignored("only used with use_badam, which jtune refuses");
        choice("badam_switch_mode", "ascending", "BAdam block switch strategy.", "ascending", "descending", "random", "fixed").ignored("only used with use_badam, which jtune refuses");
        integer("badam_switch_interval", 50, "BAdam block switch interval.").ignored("only used with use_badam, which jtune refuses");
        real("badam_update_ratio", 0.05, "BAdam update ratio.").ignored("only used with use_badam, which jtune refuses");
        choice("badam_mask_mode", "adjacent", "BAdam mask mode.", "adjacent", "scatter").ignored("only used with use_badam, which jtune refuses");
        integer("badam_verbose", 0, "BAdam verbosity.").ignored("only used with use_badam, which jtune refuses");

        // SwanLab experiment tracking
        bool("use_swanlab", false, "Report to SwanLab.").ignored("experiment tracking only: where metrics are sent, not what is trained");
        str("swanlab_project", "llamafactory", "SwanLab project.").ignored("only used with use_swanlab, which jtune ignores");
        str("swanlab_workspace", null, "SwanLab workspace.").ignored("only used with use_swanlab, which jtune ignores");
        str("swanlab_run_name", null, "SwanLab run name.").ignored("only used with use_swanlab, which jtune ignores");
        choice("swanlab_mode", "cloud", "SwanLab mode.", "cloud", "local").ignored("only used with use_swanlab, which jtune ignores");
        str("swanlab_api_key", null, "SwanLab API key.").ignored("only used with use_swanlab, which jtune ignores");
        str("swanlab_logdir", null, "SwanLab log folder.").ignored("only used with use_swanlab, which jtune ignores");
        str("swanlab_lark_webhook_url", null, "SwanLab Lark webhook.").ignored("only used with use_swanlab, which jtune ignores");
        str("swanlab_lark_secret", null, "SwanLab Lark secret.").ignored("only used with use_swanlab, which jtune ignores");
    }
}
