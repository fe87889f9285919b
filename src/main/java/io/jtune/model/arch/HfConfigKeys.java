package io.jtune.model.arch;

/**
 * How a family's transformers code turns config.json keys into biases and sliding-window attention,
 * where the families differ (modeling_llama.py reads attention_bias and mlp_bias, modeling_qwen2.py
 * biases q/k/v whatever the config says, ...). The config reader applies these rules; the
 * declaration's modules then read the resulting {@link ModelConfig} flags.
 *
 * @param attentionBias which attention projections carry a bias
 * @param readsMlpBias  whether mlp_bias (default false) biases gate/up/down; otherwise they never have one
 * @param slidingWindow which keys turn on sliding-window attention
 * @param activationKey the config.json key naming the MLP's activation: "hidden_act" (Llama's), or
 *                      "hidden_activation" (Gemma's, which ignores hidden_act); absent or null, the
 *                      family's own activation applies
 */
public record HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow,
                           String activationKey) {

    /** A family that names its activation in hidden_act. */
    public HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow) {
        this(attentionBias, readsMlpBias, slidingWindow, "hidden_act");
    }

    public enum AttentionBias {
        /** No attention projection has a bias (MistralAttention). */
        NONE,
        /** q/k/v always have a bias and o_proj never does (Qwen2Attention). */
        ALWAYS_QKV,
        /** attention_bias (default false) biases q/k/v and o_proj alike (LlamaAttention, Qwen3Attention). */
        FROM_ATTENTION_BIAS_KEY
    }

    public enum SlidingWindow {
        /** Attention is always fully causal (Llama). */
        NONE,
        /** sliding_window gives the window on every layer; 4096 when absent, an explicit null means none (Mistral). */
        SLIDING_WINDOW_KEY,
        /**
         * Only with use_sliding_window, and then only on the layers from max_window_layers on (or as
         * layer_types says) (Qwen2, Qwen3).
         */
        USE_SLIDING_WINDOW_KEY
    }
}
