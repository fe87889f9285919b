package io.jtune.model;

import java.util.List;

/**
 * What trains, with LLaMA-Factory's names and defaults.
 *
 * @param type   full, freeze or lora
 * @param lora   the LoRA settings (used when type is LORA)
 * @param freeze the freeze settings (used when type is FREEZE)
 * @param valueHead whether a value head (stage rm's {@link ValueHead}) trains beside what the type trains
 */
public record FinetuneSpec(Type type, Lora lora, Freeze freeze, boolean valueHead) {

    public FinetuneSpec(Type type, Lora lora, Freeze freeze) {
        this(type, lora, freeze, false);
    }

    /** The same, with a value head that trains fully beside it (stage rm). */
    public FinetuneSpec withValueHead() {
        return new FinetuneSpec(type, lora, freeze, true);
    }

    public enum Type { FULL, FREEZE, LORA }

    /**
     * @param rank              lora_rank (8)
     * @param alpha             lora_alpha; null means 2 x rank, as LLaMA-Factory defaults it
     * @param dropout           lora_dropout (0)
     * @param targets           lora_target: ["all"] (every linear layer but lm_head) or module names such as q_proj
     * @param useRslora         use_rslora: scale alpha / sqrt(rank) instead of alpha / rank
     * @param additionalTargets additional_target: modules trained fully beside LoRA, e.g. embed_tokens, lm_head
     */
    public record Lora(int rank, Double alpha, double dropout, List<String> targets, boolean useRslora,
                       List<String> additionalTargets) {
        public Lora {
            targets = List.copyOf(targets);
            additionalTargets = List.copyOf(additionalTargets);
        }

        public static Lora defaults() {
            return new Lora(8, null, 0.0, List.of("all"), false, List.of());
        }

        public double effectiveAlpha() {
            return alpha != null ? alpha : 2.0 * rank;
        }

        /** PEFT's scaling: alpha / r, or alpha / sqrt(r) with rsLoRA. */
        public float scale() {
            return (float) (useRslora ? effectiveAlpha() / Math.sqrt(rank) : effectiveAlpha() / rank);
        }
    }

    /**
     * @param trainableLayers  freeze_trainable_layers: +n trains the last n layers, -n the first n (default 2)
     * @param trainableModules freeze_trainable_modules: ["all"] or layer sub-modules such as mlp, self_attn
     * @param extraModules     freeze_extra_modules: modules outside the layers, e.g. embed_tokens, norm
     */
    public record Freeze(int trainableLayers, List<String> trainableModules, List<String> extraModules) {
        public Freeze {
            trainableModules = List.copyOf(trainableModules);
            extraModules = List.copyOf(extraModules);
        }

        public static Freeze defaults() {
            return new Freeze(2, List.of("all"), List.of());
        }
    }

    public static FinetuneSpec full() {
        return new FinetuneSpec(Type.FULL, null, null);
    }

    public static FinetuneSpec lora(Lora lora) {
        return new FinetuneSpec(Type.LORA, lora, null);
    }

    public static FinetuneSpec freeze(Freeze freeze) {
        return new FinetuneSpec(Type.FREEZE, null, freeze);
    }
}
