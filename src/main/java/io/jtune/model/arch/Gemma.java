package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * Gemma (GemmaForCausalLM): Llama's module layout and names with Gemma's math — RMSNorm weights
 * applied as (1 + w) in fp32, token embeddings multiplied by √hidden_size in the model's dtype, a
 * GeGLU MLP with tanh-approximated GELU (hidden_activation; hidden_act is ignored, as GemmaMLP does),
 * a head_dim of its own (256) and tied embeddings by default. llama.cpp calls it "gemma" and stores
 * the norm weights with the 1 added.
 */
public final class Gemma {
    private Gemma() {}

    public static final ModelFamily FAMILY = new ModelFamily("gemma", "GemmaForCausalLM", "gemma",
            Normalization.RMS_ONE_PLUS_WEIGHT, GatedActivation.GELU_TANH, PositionEncoding.ROTARY,
            DecoderLayout.stem(), DecoderLayout.layer(false), DecoderLayout.head(),
            //                        vocab   inter  kvHeads maxPos bos eos headDim  tied
            new ModelFamily.HfDefaults(256000, 24576, 16, 8192, 2, 1, 256, true),
            new HfConfigKeys(AttentionBias.FROM_ATTENTION_BIAS_KEY, /* reads mlp_bias */ false, SlidingWindow.NONE,
                    "hidden_activation", /* no score scaling or caps */ null),
            ModelFamily.EmbeddingScale.SQRT_HIDDEN_IN_MODEL_DTYPE);
}
