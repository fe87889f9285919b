package io.jtune.model.arch;

import java.util.Map;

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
 *                      family's own activation applies; null when the modeling code reads no key (BLOOM)
 * @param scores        the attention-scaling and soft-capping keys the family reads, with its config
 *                      class's defaults; null when it reads none (scores scaled by 1/√head_dim, no caps)
 * @param localRopeTheta the default of rope_local_base_freq, the RoPE base of the sliding-window layers
 *                      (which take no rope_scaling) for a family that has one (Gemma 3: 10000); 0 when
 *                      every layer uses rope_theta and rope_scaling
 * @param readsPartialRotary whether partial_rotary_factor (default 1) limits RoPE to a share of each
 *                      head, and rope_scaling may be LongRoPE (Phi-3)
 * @param keyNames      the config class's own names for the common keys (GPT-2's n_embd), and flags it must have
 */
public record HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow,
                           String activationKey, ScoreKeys scores, double localRopeTheta, boolean readsPartialRotary,
                           KeyNames keyNames) {

    /** A family whose config class uses LlamaConfig's key names. */
    public HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow,
                        String activationKey, ScoreKeys scores, double localRopeTheta, boolean readsPartialRotary) {
        this(attentionBias, readsMlpBias, slidingWindow, activationKey, scores, localRopeTheta, readsPartialRotary, KeyNames.LLAMA);
    }

    /**
     * An older config class's names for LlamaConfig's keys, and what it must say for jtune to run it.
     *
     * @param aliases       LlamaConfig name → this class's name (GPT2Config: hidden_size → n_embd, as its
     *                      attribute_map says); the Llama name wins when config.json has both
     * @param requiredFlags boolean keys that must have this value when present (GPT-2's scale_attn_weights: true)
     * @param normEps       the default of the norm epsilon (rms_norm_eps 1e-6; GPT-2's, BLOOM's and Falcon's
     *                      layer_norm_epsilon 1e-5)
     */
    public record KeyNames(Map<String, String> aliases, Map<String, Boolean> requiredFlags, double normEps) {
        public static final KeyNames LLAMA = new KeyNames(Map.of(), Map.of(), 1e-6);
    }

    /** A family whose heads rotate whole. */
    public HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow,
                        String activationKey, ScoreKeys scores, double localRopeTheta) {
        this(attentionBias, readsMlpBias, slidingWindow, activationKey, scores, localRopeTheta, false);
    }

    /** A family that names its activation in hidden_act. */
    public HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow) {
        this(attentionBias, readsMlpBias, slidingWindow, "hidden_act", null);
    }

    /** A family whose layers share one RoPE. */
    public HfConfigKeys(AttentionBias attentionBias, boolean readsMlpBias, SlidingWindow slidingWindow,
                        String activationKey, ScoreKeys scores) {
        this(attentionBias, readsMlpBias, slidingWindow, activationKey, scores, 0);
    }

    /**
     * Defaults of query_pre_attn_scalar, attn_logit_softcapping and final_logit_softcapping for
     * config.json files that leave them out (Gemma2Config: 256, 50.0, 30.0); 0 means none (an
     * explicit null in config.json also means none for the caps).
     */
    public record ScoreKeys(double queryPreAttnScalar, double attnLogitSoftcapping, double finalLogitSoftcapping) {}

    public enum AttentionBias {
        /** No attention projection has a bias (MistralAttention). */
        NONE,
        /** q/k/v always have a bias and o_proj never does (Qwen2Attention). */
        ALWAYS_QKV,
        /** attention_bias (default false) biases q/k/v and o_proj alike (LlamaAttention, Qwen3Attention). */
        FROM_ATTENTION_BIAS_KEY,
        /** attention_bias (default true) biases q/k/v; o_proj never has one (Glm4Attention). */
        QKV_FROM_ATTENTION_BIAS_KEY
    }

    public enum SlidingWindow {
        /** Attention is always fully causal (Llama). */
        NONE,
        /** sliding_window gives the window on every layer; 4096 when absent, an explicit null means none (Mistral). */
        SLIDING_WINDOW_KEY,
        /** sliding_window gives the window on every layer; absent or null means none (Phi-3). */
        SLIDING_WINDOW_KEY_WITHOUT_DEFAULT,
        /**
         * Only with use_sliding_window, and then only on the layers from max_window_layers on (or as
         * layer_types says) (Qwen2, Qwen3).
         */
        USE_SLIDING_WINDOW_KEY,
        /**
         * sliding_window (default 4096; null: none) on every other layer, starting with the first
         * (layer_idx % 2 == 0), or as layer_types says (Gemma 2).
         */
        EVERY_OTHER_LAYER,
        /**
         * sliding_window (default 4096; null: none) on all layers but every sliding_window_pattern-th
         * (default 6: layers 5, 11, ... are global), or as layer_types says (Gemma 3).
         */
        PATTERN
    }
}
