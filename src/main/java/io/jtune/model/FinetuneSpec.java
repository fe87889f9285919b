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
     * @param useDora           use_dora: DoRA's trained magnitude per output row over the LoRA update
     * @param pissa             pissa_init: initialise A and B from the weight's top singular vectors (null: PEFT's default init)
     */
    public record Lora(int rank, Double alpha, double dropout, List<String> targets, boolean useRslora,
                       List<String> additionalTargets, boolean useDora, Pissa pissa) {
        public Lora {
            targets = List.copyOf(targets);
            additionalTargets = List.copyOf(additionalTargets);
        }

        /** Plain LoRA with PEFT's default initialisation. */
        public Lora(int rank, Double alpha, double dropout, List<String> targets, boolean useRslora, List<String> additionalTargets) {
            this(rank, alpha, dropout, targets, useRslora, additionalTargets, false, null);
        }

        public static Lora defaults() {
            return new Lora(8, null, 0.0, List.of("all"), false, List.of());
        }

        /** The same settings with DoRA on or off. */
        public Lora withDora(boolean dora) {
            return new Lora(rank, alpha, dropout, targets, useRslora, additionalTargets, dora, pissa);
        }

        /** The same settings with the given initialisation (null: PEFT's default). */
        public Lora withPissa(Pissa init) {
            return new Lora(rank, alpha, dropout, targets, useRslora, additionalTargets, useDora, init);
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
     * PiSSA's initialisation (PEFT's init_lora_weights "pissa" or "pissa_niter_K"): A and B from the top
     * r singular triplets of the weight, the rest of the weight (the residual) frozen in its place.
     *
     * @param iterations the fast SVD's subspace iterations (LLaMA-Factory's pissa_iter, 16), or -1 for an exact SVD
     */
    public record Pissa(int iterations) {
        public Pissa {
            if (iterations < -1) throw new IllegalArgumentException("pissa_iter must be -1 (exact SVD) or at least 0, not " + iterations);
        }

        public boolean exact() {
            return iterations == -1;
        }

        /** PEFT's init_lora_weights value: "pissa" (exact) or "pissa_niter_K". */
        public String initLoraWeights() {
            return exact() ? "pissa" : "pissa_niter_" + iterations;
        }

        /** The PiSSA setting an init_lora_weights value names, or null when it names none ("true", "gaussian", ...). */
        public static Pissa fromInitLoraWeights(String value) {
            if (value == null) return null;
            if (value.equals("pissa")) return new Pissa(-1);
            if (value.startsWith("pissa_niter_")) {
                try {
                    return new Pissa(Integer.parseInt(value.substring("pissa_niter_".length())));
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return null;
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
