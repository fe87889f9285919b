package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Mistral (MistralForCausalLM): Llama's block with grouped-query attention and an optional sliding
 * window; llama.cpp files it under the llama architecture.
 */
public final class Mistral {
    private Mistral() {}

    public static final ModelFamily FAMILY = new ModelFamily("mistral", "MistralForCausalLM", "llama",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.layer(false), DecoderLayout.head(),
            //                        vocab   inter  kvHeads maxPos  bos  eos  headDim
            new ModelFamily.HfDefaults(32000, 14336, 8, 4096 * 32, 1, 2, null),
            new HfConfigKeys(AttentionBias.NONE, /* reads mlp_bias */ false, SlidingWindow.SLIDING_WINDOW_KEY));
}
