package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Qwen2 and Qwen2.5 (Qwen2ForCausalLM): Llama's block with a bias on q/k/v whatever config.json says.
 */
public final class Qwen2 {
    private Qwen2() {}

    public static final ModelFamily FAMILY = new ModelFamily("qwen2", "Qwen2ForCausalLM", "qwen2",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.layer(false), DecoderLayout.head(),
            //                        vocab   inter  kvHeads maxPos  bos  eos  headDim
            new ModelFamily.HfDefaults(151936, 22016, 32, 32768, null, null, null),
            new HfConfigKeys(AttentionBias.ALWAYS_QKV, /* reads mlp_bias */ false, SlidingWindow.USE_SLIDING_WINDOW_KEY));
}
