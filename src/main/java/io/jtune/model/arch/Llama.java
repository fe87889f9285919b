package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Llama 1/2/3 (LlamaForCausalLM): the reference decoder. Biases only with attention_bias / mlp_bias;
 * rope_scaling llama3 for Llama 3.1+.
 */
public final class Llama {
    private Llama() {}

    public static final ModelFamily FAMILY = new ModelFamily("llama", "LlamaForCausalLM", "llama",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.layer(false), DecoderLayout.head(),
            //                        vocab   inter  kvHeads maxPos  bos  eos  headDim
            new ModelFamily.HfDefaults(32000, 11008, null, 2048, 1, 2, null),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ true, SlidingWindow.NONE));
}
