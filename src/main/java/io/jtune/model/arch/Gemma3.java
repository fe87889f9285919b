package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.ScoreKeys;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Gemma 3's text models (Gemma3ForCausalLM, model_type gemma3_text: the 1B, and the text stack of the
 * larger ones): Gemma 2's sandwich layer with (1 + w) RMSNorms on every q and k head before RoPE,
 * five sliding-window layers to one global (sliding_window_pattern, or layer_types), the sliding
 * layers rotating with their own base (rope_local_base_freq, unscaled) and the global ones with
 * rope_theta and rope_scaling, scores scaled by query_pre_attn_scalar^-½ and no soft-capping unless
 * config.json asks for it.
 */
public final class Gemma3 {
    private Gemma3() {}

    public static final ModelFamily FAMILY = new ModelFamily("gemma3_text", "Gemma3ForCausalLM", "gemma3",
            Normalization.RMS_ONE_PLUS_WEIGHT, GatedActivation.GELU_TANH, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.sandwichLayer(true), DecoderLayout.head(),
            //                        vocab   inter kvHeads maxPos  bos eos headDim tied  rope_theta
            new ModelFamily.HfDefaults(262208, 9216, 4, 131072, 2, 1, 256, true, 1_000_000.0),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ false, SlidingWindow.PATTERN,
                    "hidden_activation", /* query_pre_attn_scalar; no caps by default */ new ScoreKeys(256, 0, 0),
                    /* rope_local_base_freq */ 10000.0),
            ModelFamily.EmbeddingScale.SQRT_HIDDEN_IN_MODEL_DTYPE);
}
