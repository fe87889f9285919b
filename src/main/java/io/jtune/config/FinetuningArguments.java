package io.jtune.config;

import java.util.List;

/**
 * The fine-tuning group with LLaMA-Factory's derived defaults: lora_alpha = 2 x lora_rank when unset.
 *
 * @param refModel         ref_model: a separate reference model (dpo, kto), null for the default reference
 * @param refModelAdapters ref_model_adapters: LoRA adapters over ref_model (empty = none)
 */
public record FinetuningArguments(
        String stage,
        String finetuningType,
        int loraRank,
        int loraAlpha,
        double loraDropout,
        List<String> loraTarget,
        boolean useRslora,
        List<String> additionalTarget,
        int freezeTrainableLayers,
        List<String> freezeTrainableModules,
        List<String> freezeExtraModules,
        boolean plotLoss,
        boolean disableShuffling,
        boolean includeEffectiveTokensPerSecond,
        Integer earlyStoppingSteps,
        double prefBeta,
        String prefLoss,
        double prefFtx,
        double dpoLabelSmoothing,
        double simpoGamma,
        Double ldAlpha,
        double ktoChosenWeight,
        double ktoRejectedWeight,
        boolean useDora,
        boolean pissaInit,
        int pissaIter,
        boolean pissaConvert,
        Double loraplusLrRatio,
        double loraplusLrEmbedding,
        String refModel,
        List<String> refModelAdapters) {

    /**
     * The preference keys of stage dpo: LLaMA-Factory's RLHFArguments.
     *
     * @param ldAlpha LD-DPO's alpha, null when unset
     */
    public record Preference(double beta, String loss, double ftx, double labelSmoothing, double simpoGamma, Double ldAlpha) {}

    /** The preference keys together. */
    public Preference preference() {
        return new Preference(prefBeta, prefLoss, prefFtx, dpoLabelSmoothing, simpoGamma, ldAlpha);
    }

    static FinetuningArguments from(JtuneConfig c) {
        int rank = c.integer("lora_rank");
        Integer alpha = c.nullableInteger("lora_alpha");
        double dropout = c.real("lora_dropout");
        if (dropout >= 1.0) {
            throw c.error("lora_dropout", dropout + " would drop every input; expected a number in [0, 1)");
        }
        return new FinetuningArguments(
                c.string("stage"),
                c.string("finetuning_type"),
                rank,
                alpha != null ? alpha : 2 * rank,
                dropout,
                c.list("lora_target"),
                c.bool("use_rslora"),
                orEmpty(c.list("additional_target")),
                c.integer("freeze_trainable_layers"),
                c.list("freeze_trainable_modules"),
                orEmpty(c.list("freeze_extra_modules")),
                c.bool("plot_loss"),
                c.bool("disable_shuffling"),
                c.bool("include_effective_tokens_per_second"),
                c.nullableInteger("early_stopping_steps"),
                c.real("pref_beta"), c.string("pref_loss"), c.real("pref_ftx"), c.real("dpo_label_smoothing"),
                c.real("simpo_gamma"), c.nullableReal("ld_alpha"), c.real("kto_chosen_weight"), c.real("kto_rejected_weight"),
                c.bool("use_dora"), c.bool("pissa_init"), c.integer("pissa_iter"), c.bool("pissa_convert"),
                c.nullableReal("loraplus_lr_ratio"), c.real("loraplus_lr_embedding"),
                c.string("ref_model"), orEmpty(c.list("ref_model_adapters")));
    }

    private static List<String> orEmpty(List<String> l) {
        return l == null ? List.of() : l;
    }

    /** PEFT's LoRA scale: alpha / rank, or alpha / sqrt(rank) with rsLoRA. */
    public double loraScale() {
        return useRslora ? loraAlpha / Math.sqrt(loraRank) : (double) loraAlpha / loraRank;
    }

    public boolean isLora() {
        return "lora".equals(finetuningType);
    }
}
