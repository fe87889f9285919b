package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Qwen2-MoE (Qwen2MoeForCausalLM, Qwen1.5-MoE): Qwen2's attention (q/k/v biased) with a sparse MoE
 * block on the layers decoder_sparse_step and mlp_only_layers choose: router mlp.gate, softmax over
 * num_experts, top num_experts_per_tok (renormalised only with norm_topk_prob), SwiGLU experts of
 * moe_intermediate_size, plus a shared expert of shared_expert_intermediate_size scaled by
 * sigmoid(shared_expert_gate(x)). Other layers have a dense MLP of intermediate_size.
 */
public final class Qwen2Moe {
    private Qwen2Moe() {}

    public static final ModelFamily FAMILY = new ModelFamily("qwen2_moe", "Qwen2MoeForCausalLM", "qwen2moe",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), MoeLayout.qwenMoeLayer(false, true), DecoderLayout.head(),
            //                        vocab   inter kvHeads maxPos bos   eos   headDim
            new ModelFamily.HfDefaults(151936, 5632, 16, 32768, null, null, null),
            new HfConfigKeys(AttentionBias.ALWAYS_QKV, /* reads mlp_bias */ false, SlidingWindow.USE_SLIDING_WINDOW_KEY));
}
