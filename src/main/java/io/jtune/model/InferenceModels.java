package io.jtune.model;

import io.jtune.model.arch.ModelConfig;

/**
 * Builds models for generation only, through the same {@link ModelBuilder} that training uses (one
 * place checks shapes, dtypes and NaNs).
 */
public final class InferenceModels {
    private InferenceModels() {}

    /** The base model with every weight frozen in the checkpoint's dtype (memory-mapped as stored). */
    public static CausalLM frozen(ModelConfig config, WeightSource weights) {
        return ModelBuilder.frozen(config, weights);
    }

    /**
     * The base model with a LoRA adapter on the modules {@code lora} names, which passes and sessions
     * use by default (frozen base weights, fp32 adapter initialised as PEFT does; load the adapter's
     * values into {@link CausalLM#adapter()}'s parameters afterwards).
     */
    public static CausalLM withLora(ModelConfig config, WeightSource weights, FinetuneSpec.Lora lora) {
        CausalLM model = ModelBuilder.frozen(config, weights);
        model.setTrainingAdapter(LoraAdapter.attach(model, "default", lora, 0));
        return model;
    }
}
