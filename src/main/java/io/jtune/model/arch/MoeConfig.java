package io.jtune.model.arch;

import java.util.List;

/**
 * The sparse Mixture-of-Experts settings of a config.json (Mixtral, Qwen2-MoE, Qwen3-MoE), as
 * transformers reads them.
 *
 * @param numExperts              experts per sparse layer (num_local_experts / num_experts)
 * @param topK                    experts each token is routed to (num_experts_per_tok)
 * @param expertIntermediateSize  an expert's SwiGLU width (Mixtral: intermediate_size; Qwen: moe_intermediate_size)
 * @param normTopkProb            whether the top-k routing weights are renormalised to sum to 1
 *                                (Mixtral always; Qwen by norm_topk_prob)
 * @param sharedExpertIntermediateSize the always-on shared expert's width, gated by sigmoid(shared_expert_gate(x))
 *                                (Qwen2-MoE); 0 when the family has none
 * @param decoderSparseStep       layer i is sparse when (i + 1) % step == 0 (Qwen's decoder_sparse_step; Mixtral 1)
 * @param mlpOnlyLayers           layers that keep a dense MLP of intermediate_size (Qwen's mlp_only_layers)
 * @param routerAuxLossCoef       config.json's router_aux_loss_coef (jtune adds the aux loss only when
 *                                moe_aux_loss_coef is set, as LLaMA-Factory turns output_router_logits on only then)
 */
public record MoeConfig(int numExperts, int topK, int expertIntermediateSize, boolean normTopkProb,
                        int sharedExpertIntermediateSize, int decoderSparseStep, List<Integer> mlpOnlyLayers,
                        double routerAuxLossCoef) {
    public MoeConfig {
        mlpOnlyLayers = List.copyOf(mlpOnlyLayers);
    }

    /** Whether decoder layer {@code layer} has the sparse MoE block (else a dense MLP of intermediate_size). */
    public boolean sparse(int layer) {
        return numExperts > 0 && !mlpOnlyLayers.contains(layer) && (layer + 1) % decoderSparseStep == 0;
    }

    /** Whether the experts' outputs are joined by an always-on shared expert (Qwen2-MoE). */
    public boolean hasSharedExpert() {
        return sharedExpertIntermediateSize > 0;
    }

    /** How many of the layers are sparse. */
    public int sparseLayers(int numHiddenLayers) {
        int n = 0;
        for (int l = 0; l < numHiddenLayers; l++) if (sparse(l)) n++;
        return n;
    }
}
