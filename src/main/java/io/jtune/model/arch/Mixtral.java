package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Mixtral (MixtralForCausalLM): Mistral's attention with a sparse Mixture-of-Experts block in place
 * of the MLP: a router (block_sparse_moe.gate), softmax over num_local_experts in fp32, the top
 * num_experts_per_tok renormalised to sum to 1, each a SwiGLU expert (w1 gate, w3 up, w2 down).
 * llama.cpp files it under the llama architecture.
 */
public final class Mixtral {
    private Mixtral() {}

    public static final ModelFamily FAMILY = new ModelFamily("mixtral", "MixtralForCausalLM", "llama",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), MoeLayout.mixtralLayer(), DecoderLayout.head(),
            //                        vocab  inter  kvHeads maxPos    bos eos headDim tied   rope_theta
            new ModelFamily.HfDefaults(32000, 14336, 8, 4096 * 32, 1, 2, null, false, 1e6),
            new HfConfigKeys(AttentionBias.NONE, /* reads mlp_bias */ false, SlidingWindow.SLIDING_WINDOW_KEY_WITHOUT_DEFAULT));
}
