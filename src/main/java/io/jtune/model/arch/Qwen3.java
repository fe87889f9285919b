package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Qwen3 (Qwen3ForCausalLM): Llama's block with an RMSNorm on every q and k head before RoPE, and a
 * head_dim of its own.
 */
public final class Qwen3 {
    private Qwen3() {}

    public static final ModelFamily FAMILY = new ModelFamily("qwen3", "Qwen3ForCausalLM", "qwen3",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.layer(true), DecoderLayout.head(),
            //                        vocab   inter  kvHeads maxPos  bos  eos  headDim
            new ModelFamily.HfDefaults(151936, 22016, 32, 32768, null, null, 128),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ false, SlidingWindow.USE_SLIDING_WINDOW_KEY));
}
