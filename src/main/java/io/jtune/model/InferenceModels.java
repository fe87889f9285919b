package io.jtune.model;

import java.util.List;

/**
 * Builds models for generation only, through the same {@link ModelBuilder} that training uses (one
 * place checks shapes, dtypes and NaNs).
 */
public final class InferenceModels {
    private InferenceModels() {}

    /**
     * The base model with every weight frozen in the checkpoint's dtype. ModelBuilder insists that
     * something trains, so the norm weights (vectors, a few KiB) are the nominal trainable part:
     * freeze tuning with no trainable layer and the "norm" extra module. The GEMM weights stay
     * memory-mapped in bf16/f16/f32 as stored.
     */
    public static CausalLM frozen(ModelConfig config, WeightSource weights) {
        FinetuneSpec spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(0, List.of("all"), List.of("norm")));
        return ModelBuilder.build(config, weights, spec, new CausalLM.Options(false, 0));
    }

    /**
     * The base model with LoRA adapters on the modules {@code lora} names (frozen base weights, fp32
     * adapters initialised as PEFT does; load the adapter's values with
     * {@link CausalLM#setParameter} or a checkpoint reader afterwards).
     */
    public static CausalLM withLora(ModelConfig config, WeightSource weights, FinetuneSpec.Lora lora) {
        return ModelBuilder.build(config, weights, FinetuneSpec.lora(lora), new CausalLM.Options(false, 0));
    }
}
