package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * GLM-4-0414 and GLM-Z1 (Glm4ForCausalLM, native in transformers): RMSNorm before and after both
 * attention and the MLP (sandwich norms), biases on q/k/v, SwiGLU from one fused gate_up_proj, and
 * RoPE on the first partial_rotary_factor share of each head (Glm4Config: 0.5) in GLM's interleaved
 * convention, adjacent entries rotating as pairs. LoRA adapts q_proj, k_proj, v_proj, o_proj,
 * gate_up_proj and down_proj, as PEFT names them.
 */
public final class Glm4 {
    private Glm4() {}

    public static final ModelFamily FAMILY = new ModelFamily("glm4", "Glm4ForCausalLM", "glm4",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY_INTERLEAVED,
            DecoderLayout.stem(), DecoderLayout.glm4Layer(), DecoderLayout.head(),
            //                        vocab   inter  kvHeads maxPos  bos   eos  headDim tied   theta  partial rotary
            new ModelFamily.HfDefaults(151552, 13696, 2, 131072, null, null, 128, false, 10000.0, 0.5),
            new HfConfigKeys(AttentionBias.QKV_FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ false, SlidingWindow.NONE));
}
