package io.jtune.config;

/**
 * Checks that involve several keys, with LLaMA-Factory's (and transformers') rules and wording
 * where they have one. Each error names the file and the key to change.
 */
final class CrossChecks {
    private CrossChecks() {}

    static void apply(JtuneConfig c) {
        DataArguments data = c.data();
        FinetuningArguments ft = c.finetuning();
        TrainingArguments tr = c.training();
        String stage = ft.stage();

        if (!c.model().adapterNameOrPath().isEmpty() && !ft.isLora()) {
            throw c.error("adapter_name_or_path", "adapters can only be loaded with finetuning_type lora (it is " + ft.finetuningType() + ")");
        }
        if (ft.useRslora() && !ft.isLora()) {
            throw c.error("use_rslora", "is only valid with finetuning_type lora (it is " + ft.finetuningType() + ")");
        }
        // LLaMA-Factory's FinetuningArguments checks, with its wording
        if (ft.loraplusLrRatio() != null && !ft.isLora()) {
            throw c.error("loraplus_lr_ratio", "is only valid for LoRA training (finetuning_type is " + ft.finetuningType() + ")");
        }
        if (ft.pissaConvert() && !ft.isLora()) {
            throw c.error("pissa_convert", "is only valid for LoRA training (finetuning_type is " + ft.finetuningType() + ")");
        }
        if (ft.pissaConvert() && (stage.equals("rm") || stage.equals("kto") || stage.equals("ppo")
                || (stage.equals("dpo") && !ft.prefLoss().equals("orpo") && !ft.prefLoss().equals("simpo")))) {
            throw c.error("pissa_convert", "cannot be used with stage " + stage
                    + (stage.equals("dpo") ? " and a reference model (pref_loss " + ft.prefLoss() + ")" : ""));
        }
        if ((ft.useDora() || ft.pissaInit()) && !ft.isLora()) {
            String key = ft.useDora() ? "use_dora" : "pissa_init";
            throw c.error(key, "is only valid with finetuning_type lora (it is " + ft.finetuningType() + ")");
        }
        if (ft.pissaInit() && c.nullableInteger("quantization_bit") != null) {
            throw c.error("pissa_init", "cannot initialize a PiSSA adapter on a quantized model (quantization_bit); as in LLaMA-Factory,"
                    + " initialise PiSSA on the full-precision model");
        }
        if (ft.pissaConvert() && ft.useDora()) {
            throw c.error("pissa_convert", "cannot convert a DoRA adapter (PEFT's conversion covers lora_A and lora_B only); turn off use_dora or pissa_convert");
        }
        if (c.model().quantized() && tr.doTrain() && !ft.isLora()) {
            // LLaMA-Factory: "Quantization is only compatible with the LoRA method."
            throw c.error("quantization_bit", "quantization is only compatible with finetuning_type lora (it is " + ft.finetuningType()
                    + "): the quantized weights are frozen");
        }
        if (data.hasValSplit() && data.dataset().isEmpty()) {
            throw c.error("val_size", "needs a dataset to split the validation set from; set dataset");
        }
        if (data.hasValSplit() && !data.evalDataset().isEmpty()) {
            throw c.error("val_size", "cannot be used together with eval_dataset; keep one of them");
        }
        if (data.valSize() >= 1 && data.valSize() != Math.rint(data.valSize())) {
            throw c.error("val_size", data.valSize() + " must be a whole number of examples (>= 1) or a fraction in [0, 1)");
        }
        if (data.interleaveProbs() != null) {
            if ("concat".equals(data.mixStrategy())) {
                throw c.error("interleave_probs", "is only valid with an interleave_* mix_strategy (mix_strategy is concat)");
            }
            if (!data.dataset().isEmpty() && data.dataset().size() != data.interleaveProbs().size()) {
                throw c.error("interleave_probs", "has " + data.interleaveProbs().size() + " probabilities for "
                        + data.dataset().size() + " datasets; give one per dataset");
            }
        }
        if (data.maskHistory() && data.trainOnPrompt()) {
            throw c.error("mask_history", "cannot be used together with train_on_prompt; keep one of them");
        }
        if (!"sft".equals(stage)) {
            for (String sftOnly : new String[] {"neat_packing", "train_on_prompt", "mask_history"}) {
                if (c.bool(sftOnly)) {
                    throw c.error(sftOnly, "is only valid for stage sft (stage is " + stage + ")");
                }
            }
        }
        if (tr.doTrain() && data.dataset().isEmpty()) {
            throw c.error("dataset", "is required when do_train is true: name the dataset(s) from dataset_info.json");
        }
        if (tr.doEval() && data.evalDataset().isEmpty() && !data.hasValSplit()) {
            String key = c.isSet("eval_strategy") && !c.isSet("do_eval") ? "eval_strategy" : "do_eval";
            throw c.error(key, "evaluation needs eval_dataset or val_size > 0");
        }
        for (String stepsKey : new String[] {"logging_steps", "save_steps", "eval_steps"}) {
            Double v = c.nullableReal(stepsKey);
            if (v != null && v > 1 && v != Math.rint(v)) {
                throw c.error(stepsKey, v + " must be a whole number of steps or a fraction in (0, 1) of the total steps");
            }
        }
        checkBestModelKeys(c, ft, tr);
        checkReferenceModelKeys(c, ft);
        if (tr.maxSteps() == 0) {
            throw c.error("max_steps", "0 would train nothing; use a positive number, or -1 to train num_train_epochs");
        }
        if (tr.doTrain() && tr.maxSteps() < 0 && tr.numTrainEpochs() == 0) {
            throw c.error("num_train_epochs", "0 epochs would train nothing; use a positive number, or set max_steps");
        }
    }

    /**
     * ref_model is the reference of the stages that compare with one (LLaMA-Factory's use_ref_model:
     * dpo except orpo and simpo, kto and ppo; and grpo with beta > 0); anywhere else it would be silently unused.
     */
    private static void checkReferenceModelKeys(JtuneConfig c, FinetuningArguments ft) {
        if (!ft.refModelAdapters().isEmpty() && ft.refModel() == null) {
            throw c.error("ref_model_adapters", "needs ref_model, the model the adapter belongs to");
        }
        if (ft.refModelAdapters().size() > 1) {
            throw c.error("ref_model_adapters", "several adapters (" + String.join(", ", ft.refModelAdapters())
                    + ") are not supported yet; merge all but the last into ref_model with `jtune export` and give one");
        }
        if (ft.refModel() == null) return;
        boolean usesReference = "kto".equals(ft.stage()) || "ppo".equals(ft.stage())
                || ("grpo".equals(ft.stage()) && c.real("beta") > 0)
                || ("dpo".equals(ft.stage()) && !"orpo".equals(ft.prefLoss()) && !"simpo".equals(ft.prefLoss()));
        if (!usesReference) {
            throw c.error("ref_model", "is only used by stage dpo (pref_loss sigmoid, hinge, ipo), kto, ppo and grpo (beta > 0); stage "
                    + ft.stage() + ("dpo".equals(ft.stage()) ? " with pref_loss " + ft.prefLoss() : "") + " has no reference model");
        }
    }

    /**
     * The keys that watch an evaluation metric (transformers' and its EarlyStoppingCallback's rules):
     * each needs evaluations; loading the best model needs a checkpoint at every evaluation that can
     * be the best, so the save strategy matches the eval strategy (save_steps a multiple of
     * eval_steps) unless it saves at each new best; save_strategy best and early stopping need a
     * metric (load_best_model_at_end defaults it to loss).
     */
    private static void checkBestModelKeys(JtuneConfig c, FinetuningArguments ft, TrainingArguments tr) {
        String eval = tr.evalStrategy();
        String save = tr.saveStrategy();
        boolean saveBest = "best".equals(save);
        Integer patience = ft.earlyStoppingSteps();
        for (String key : new String[] {"load_best_model_at_end", "save_strategy", "early_stopping_steps"}) {
            boolean watches = switch (key) {
                case "load_best_model_at_end" -> tr.loadBestModelAtEnd();
                case "save_strategy" -> saveBest;
                default -> patience != null;
            };
            if (watches && "no".equals(eval)) {
                throw c.error(key, (key.equals("save_strategy") ? "best" : "is set and") + " needs evaluations to compare:"
                        + " set eval_strategy to steps (with eval_steps) or epoch, and eval_dataset or val_size");
            }
        }
        if (tr.loadBestModelAtEnd() && !saveBest) {
            if (!eval.equals(save)) {
                throw c.error("load_best_model_at_end", "requires the save and eval strategies to match (or save_strategy best),"
                        + " but eval_strategy is " + eval + " and save_strategy is " + save);
            }
            if ("steps".equals(eval)) checkSaveStepsMultipleOfEvalSteps(c, c.real("save_steps"), tr.evalSteps());
        }
        if (tr.metricForBestModel() == null) {
            if (saveBest) {
                throw c.error("save_strategy", "best needs metric_for_best_model (e.g. loss, or a stage metric such as rewards/accuracies)");
            }
            if (patience != null) {
                throw c.error("early_stopping_steps", "needs metric_for_best_model, the metric whose improvement it waits for"
                        + " (or load_best_model_at_end, which defaults it to loss)");
            }
        }
    }

    /** transformers' check: both whole numbers of steps with save_steps a multiple of eval_steps, or both ratios of the total. */
    private static void checkSaveStepsMultipleOfEvalSteps(JtuneConfig c, double saveSteps, double evalSteps) {
        if ((saveSteps < 1) != (evalSteps < 1)) {
            throw c.error("load_best_model_at_end", "requires save_steps to be a multiple of eval_steps, which cannot be guaranteed"
                    + " when one is a ratio of the total steps and the other a number of steps (save_steps " + steps(saveSteps)
                    + ", eval_steps " + steps(evalSteps) + ")");
        }
        long scale = 1_000_000L; // compares ratios as transformers does, on a fixed grid
        if (Math.round(saveSteps * scale) % Math.round(evalSteps * scale) != 0) {
            throw c.error("load_best_model_at_end", "requires save_steps to be a round multiple of eval_steps, but save_steps "
                    + steps(saveSteps) + " is not a multiple of eval_steps " + steps(evalSteps));
        }
    }

    private static String steps(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
