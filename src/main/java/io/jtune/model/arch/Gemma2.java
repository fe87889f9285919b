package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.ScoreKeys;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Gemma 2 (Gemma2ForCausalLM): Gemma's math (norms as (1 + w), √hidden embedding scale, tanh-GeGLU,
 * tied) with a norm before and after both attention and the MLP, attention scores scaled by
 * query_pre_attn_scalar^-½ and soft-capped (attn_logit_softcapping), soft-capped final logits
 * (final_logit_softcapping), and a sliding window on every other layer starting with the first
 * (or as layer_types says), in training and in KV-cached decoding alike.
 */
public final class Gemma2 {
    private Gemma2() {}

    public static final ModelFamily FAMILY = new ModelFamily("gemma2", "Gemma2ForCausalLM", "gemma2",
            Normalization.RMS_ONE_PLUS_WEIGHT, GatedActivation.GELU_TANH, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.sandwichLayer(false), DecoderLayout.head(),
            //                        vocab   inter kvHeads maxPos bos eos headDim  tied
            new ModelFamily.HfDefaults(256000, 9216, 4, 8192, 2, 1, 256, true),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ false, SlidingWindow.EVERY_OTHER_LAYER,
                    "hidden_activation", /* query_pre_attn_scalar, attn and final soft-caps */ new ScoreKeys(256, 50.0, 30.0)),
            ModelFamily.EmbeddingScale.SQRT_HIDDEN_IN_MODEL_DTYPE);
}
