package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Phi-3, Phi-3.5, Phi-4 and Phi-4-mini (Phi3ForCausalLM): Llama's math with q/k/v from one fused
 * projection (qkv_proj) and the SwiGLU's gate and up from another (gate_up_proj), RoPE on the first
 * partial_rotary_factor share of each head (Phi-4-mini: 0.75), LongRoPE (rope_scaling type longrope,
 * short and long factors, cos/sin scaled by √(1 + ln(max/original) / ln(original))) in the 128k
 * models, a sliding window on every layer when sliding_window is set, tied or untied embeddings.
 * LoRA adapts the fused modules whole, as PEFT does (targets qkv_proj, o_proj, gate_up_proj, down_proj).
 */
public final class Phi3 {
    private Phi3() {}

    public static final ModelFamily FAMILY = new ModelFamily("phi3", "Phi3ForCausalLM", "phi3",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.fusedLayer(), DecoderLayout.head(),
            //                        vocab  inter kvHeads maxPos bos  eos    headDim
            new ModelFamily.HfDefaults(32064, 8192, null, 4096, 1, 32000, null),
            new HfConfigKeys(AttentionBias.NONE, /* reads mlp_bias */ false, SlidingWindow.SLIDING_WINDOW_KEY_WITHOUT_DEFAULT,
                    "hidden_act", null, 0, /* partial_rotary_factor, longrope */ true));
}
