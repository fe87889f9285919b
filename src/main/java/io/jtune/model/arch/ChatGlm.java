package io.jtune.model.arch;

import io.jtune.model.arch.HfConfigKeys.AttentionBias;
import io.jtune.model.arch.HfConfigKeys.SlidingWindow;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/**
 * ChatGLM (model_type chatglm: ChatGLM3-6B, GLM-4-9B-chat's ChatGLMModel layout), run natively from
 * its published modeling math; jtune never executes a checkpoint's modeling_chatglm.py. A pre-norm
 * block with RMSNorm; q, k and v from one query_key_value projection, k and v with one head per
 * multi-query group (multi_query_group_num); swiglu from one dense_h_to_4h ([gate | up]); RoPE on
 * the first half of each head (kv_channels / 2 entries) in GLM's interleaved convention, with base
 * 10000 · rope_ratio; scores scaled by 1/√kv_channels; an untied output_layer. Its config.json keys
 * are ChatGLM's own (num_layers, padded_vocab_size, ffn_hidden_size, kv_channels, seq_length,
 * layernorm_epsilon, add_qkv_bias, ...): io.jtune.io.hf reads them with {@code ChatGlmConfigReader}.
 * LoRA targets: query_key_value, dense, dense_h_to_4h, dense_4h_to_h.
 */
public final class ChatGlm {
    private ChatGlm() {}

    public static final ModelFamily FAMILY = new ModelFamily("chatglm", "ChatGLMModel", "chatglm",
            Normalization.RMS, GatedActivation.SILU, PositionEncoding.ROTARY_INTERLEAVED,
            DecoderLayout.chatGlmStem(), DecoderLayout.chatGlmLayer(), DecoderLayout.chatGlmHead(),
            //                       padded vocab  ffn  groups seq_length bos  eos  kv_channels tied  base  rotary share
            new ModelFamily.HfDefaults(65024, 13696, 1, 2048, null, null, 128, false, 10000.0, 0.5),
            // transformers' key rules do not apply: ChatGlmConfigReader reads add_qkv_bias / add_bias_linear itself
            new HfConfigKeys(AttentionBias.NONE, /* reads mlp_bias */ false, SlidingWindow.NONE),
            ModelFamily.EmbeddingScale.NONE, "transformer.encoder.layers");
}
