package io.jtune.serve.webui;

import java.util.List;
import java.util.Map;

/**
 * The forms of the web UI's tabs: which configuration keys each shows, in the order of
 * LLaMA-Factory's own web UI (model, method, data, hyperparameters, output).
 */
public final class WebUiForms {
    private WebUiForms() {}

    public static final ConfigForm TRAIN = new ConfigForm("train", List.of(
            "model_name_or_path", "adapter_name_or_path", "template", "quantization_bit", "quantization_type", "double_quantization",
            "finetuning_type", "stage", "dataset_dir", "dataset", "cutoff_len", "max_samples", "val_size",
            "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
            "lr_scheduler_type", "warmup_steps", "max_grad_norm", "logging_steps", "save_steps", "seed",
            "lora_rank", "lora_alpha", "lora_dropout", "lora_target", "freeze_trainable_layers",
            "use_rslora", "use_dora", "pissa_init", "pissa_iter", "pissa_convert", "loraplus_lr_ratio",
            "output_dir", "overwrite_output_dir", "resume_from_checkpoint", "plot_loss",
            // the preference stages' keys (LlamaBoard's RLHF box); the page shows each with the stages that read it
            "pref_beta", "pref_ftx", "pref_loss", "dpo_label_smoothing", "simpo_gamma", "ld_alpha",
            "kto_chosen_weight", "kto_rejected_weight",
            // the online stages' keys (ppo: LlamaBoard's reward model and PPO switches; grpo: its reward functions) and their sampling
            "reward_model", "reward_model_type", "ppo_epochs", "ppo_buffer_size", "ppo_target", "ppo_score_norm", "ppo_whiten_rewards",
            "reward_funcs", "reward_weights", "num_generations", "max_completion_length", "beta", "epsilon", "loss_type", "scale_rewards",
            "reward_answer_pattern", "reward_format_pattern",
            "temperature", "top_p", "top_k", "max_new_tokens"),
            Map.of("do_train", true));

    /**
     * The Evaluate &amp; predict tab's fields, as LlamaBoard's: the model, the stage it is evaluated as
     * (with the preference keys its loss and rewards depend on, and ppo's reward model or grpo's reward
     * functions), the data, and the sampling settings that prediction generates with (and ppo and grpo
     * sample the held-out completions with).
     */
    private static final List<String> EVALUATE_KEYS = List.of(
            "model_name_or_path", "adapter_name_or_path", "template", "quantization_bit", "quantization_type", "double_quantization",
            "finetuning_type", "stage", "dataset_dir", "eval_dataset", "cutoff_len", "max_samples", "per_device_eval_batch_size",
            "max_new_tokens", "top_p", "temperature", "output_dir",
            "pref_beta", "pref_ftx", "pref_loss", "dpo_label_smoothing", "simpo_gamma", "ld_alpha",
            "kto_chosen_weight", "kto_rejected_weight",
            // ppo and grpo evaluate by scoring completions of the held-out prompts
            "reward_model", "reward_model_type", "reward_funcs", "reward_weights", "num_generations", "max_completion_length", "beta",
            "loss_type", "scale_rewards", "reward_answer_pattern", "reward_format_pattern");

    /**
     * LLaMA-Factory's do_eval on a dataset, as the stage evaluates: the loss (sft, pt), with the
     * pairs' accuracy (rm) or the rewards metrics (dpo, kto); the model with an optional adapter.
     */
    public static final ConfigForm EVALUATE = new ConfigForm("evaluate", EVALUATE_KEYS,
            Map.of("do_train", false, "do_eval", true, "overwrite_output_dir", true));

    /**
     * The same tab with Predict ticked: LLaMA-Factory's do_predict. Stage sft generates
     * (predict_with_generate) and writes generated_predictions.jsonl and predict_results.json (BLEU-4,
     * ROUGE) to output_dir; stage rm scores each pair; the other stages do not predict.
     */
    public static final ConfigForm PREDICT = new ConfigForm("predict", EVALUATE_KEYS,
            Map.of("do_train", false, "do_predict", true, "predict_with_generate", true));

    /** The stages whose do_predict writes predictions: sft generates answers, rm scores pairs. */
    public static final List<String> PREDICTING_STAGES = List.of("sft", "rm");

    /**
     * What the Chat tab loads: the model (quantized on loading with quantization_bit, as LLaMA-Factory's
     * chat allows), an optional adapter, the template and the default sampling.
     */
    public static final ConfigForm CHAT = new ConfigForm("chat", List.of(
            "model_name_or_path", "adapter_name_or_path", "template", "quantization_bit", "quantization_type", "double_quantization",
            "default_system",
            "do_sample", "temperature", "top_p", "top_k", "max_new_tokens", "repetition_penalty"),
            Map.of());

    /**
     * LlamaBoard's Export tab, as {@code jtune export} reads it: a merged HF folder always, a GGUF
     * file with export_gguf, an Ollama Modelfile when a template is set. Its quantization, legacy
     * format and hub keys are here too, so that asking for them gets the honest "not supported" next
     * to the field.
     */
    public static final ConfigForm EXPORT = new ConfigForm("export", List.of(
            "model_name_or_path", "adapter_name_or_path", "template", "finetuning_type",
            "export_dir", "export_size", "export_gguf", "export_quantization_bit", "export_device", "export_legacy_format",
            "export_hub_model_id"),
            Map.of());

    public static final List<ConfigForm> ALL = List.of(TRAIN, EVALUATE, PREDICT, CHAT, EXPORT);

    /**
     * The command that runs a form's YAML, as the preview shows it: {@code jtune export} for the
     * Export tab, {@code jtune chat} for the Chat tab's settings, {@code jtune train} for the rest
     * (evaluation and prediction are {@code jtune train} with do_eval / do_predict).
     */
    public static String command(ConfigForm form) {
        if (form == EXPORT) return "jtune export";
        if (form == CHAT) return "jtune chat";
        return "jtune train";
    }

    public static ConfigForm byId(String id) {
        return ALL.stream().filter(f -> f.id().equals(id)).findFirst()
                .orElseThrow(() -> FieldErrors.of("form", "unknown form '" + id + "'; forms: train, evaluate, predict, chat, export"));
    }
}
