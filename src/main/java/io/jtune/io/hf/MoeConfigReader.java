package io.jtune.io.hf;

import io.jtune.model.arch.MoeConfig;
import io.jtune.model.arch.MoeKeys;
import java.util.List;

/** Reads the Mixture-of-Experts keys of a MoE family's config.json (null for a dense family). */
final class MoeConfigReader {
    private MoeConfigReader() {}

    static MoeConfig read(JsonKeys keys, String modelType, int layers) {
        MoeKeys k = MoeKeys.of(modelType);
        if (k == null) return null;
        int experts = keys.positive(k.numExpertsKey(), k.numExperts());
        int topK = keys.positive("num_experts_per_tok", k.topK());
        if (topK > experts) {
            throw keys.error("num_experts_per_tok", "(" + topK + ") must not exceed " + k.numExpertsKey() + " (" + experts + ")");
        }
        int width = keys.positive(k.expertWidthKey(), k.expertWidth());
        boolean normTopk = k.normTopkProb() == null || keys.bool("norm_topk_prob", k.normTopkProb());
        int shared = 0;
        if (k.sharedExpertWidth() >= 0) {
            shared = keys.integer("shared_expert_intermediate_size", k.sharedExpertWidth());
            if (shared < 0) throw keys.error("shared_expert_intermediate_size", "must not be negative, found " + shared);
        }
        int step = k.readsSparseStep() ? keys.positive("decoder_sparse_step", 1) : 1;
        List<Integer> mlpOnly = k.readsSparseStep() && keys.has("mlp_only_layers") ? keys.intOrList("mlp_only_layers", List.of()) : List.of();
        for (int layer : mlpOnly) {
            if (layer < 0 || layer >= layers) throw keys.error("mlp_only_layers", "names layer " + layer + " of " + layers);
        }
        double jitter = keys.number("router_jitter_noise", 0);
        if (jitter != 0) {
            throw keys.error("router_jitter_noise", "is " + jitter + "; jtune does not support router jitter yet (0 only)");
        }
        return new MoeConfig(experts, topK, width, normTopk, shared, step, mlpOnly, keys.number("router_aux_loss_coef", 0.001));
    }
}
