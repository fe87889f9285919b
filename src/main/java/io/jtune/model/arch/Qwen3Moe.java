package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Qwen3-MoE (Qwen3MoeForCausalLM, Qwen3-30B-A3B): Qwen3's attention (per-head q/k norms) with a
 * sparse MoE block: router mlp.gate, softmax over num_experts, top num_experts_per_tok
 * (renormalised with norm_topk_prob), SwiGLU experts of moe_intermediate_size; no shared expert.
 */
public final class Qwen3Moe {
    private Qwen3Moe() {}

    public static final ModelFamily FAMILY = new ModelFamily("qwen3_moe", "Qwen3MoeForCausalLM", "qwen3moe",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), MoeLayout.qwenMoeLayer(true, false), DecoderLayout.head(),
            //                        vocab   inter kvHeads maxPos bos   eos   headDim
            new ModelFamily.HfDefaults(151936, 6144, 4, 32768, null, null, null),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ false, SlidingWindow.USE_SLIDING_WINDOW_KEY));
}
