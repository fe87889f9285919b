package io.jtune.model.arch;

import java.util.Map;

/**
 * How a MoE family's config class names its Mixture-of-Experts keys, with its defaults
 * (MixtralConfig, Qwen2MoeConfig, Qwen3MoeConfig).
 *
 * @param numExpertsKey         num_local_experts (Mixtral) or num_experts (Qwen)
 * @param numExperts            its default
 * @param topK                  num_experts_per_tok's default
 * @param expertWidthKey        the experts' width: intermediate_size (Mixtral) or moe_intermediate_size (Qwen)
 * @param expertWidth           its default
 * @param normTopkProb          norm_topk_prob's default; null when the family always renormalises (Mixtral)
 * @param sharedExpertWidth     shared_expert_intermediate_size's default; -1 when the family has no shared expert
 * @param readsSparseStep       whether decoder_sparse_step and mlp_only_layers apply (Qwen)
 */
public record MoeKeys(String numExpertsKey, int numExperts, int topK, String expertWidthKey, int expertWidth,
                      Boolean normTopkProb, int sharedExpertWidth, boolean readsSparseStep) {

    public static final MoeKeys MIXTRAL = new MoeKeys("num_local_experts", 8, 2, "intermediate_size", 14336, null, -1, false);
    public static final MoeKeys QWEN2_MOE = new MoeKeys("num_experts", 60, 4, "moe_intermediate_size", 1408, false, 5632, true);
    public static final MoeKeys QWEN3_MOE = new MoeKeys("num_experts", 128, 8, "moe_intermediate_size", 768, false, -1, true);

    private static final Map<String, MoeKeys> BY_MODEL_TYPE =
            Map.of("mixtral", MIXTRAL, "qwen2_moe", QWEN2_MOE, "qwen3_moe", QWEN3_MOE);

    /** The keys of a MoE family's model_type, or null for a dense family. */
    public static MoeKeys of(String modelType) {
        return BY_MODEL_TYPE.get(modelType);
    }
}
