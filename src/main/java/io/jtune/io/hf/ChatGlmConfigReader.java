package io.jtune.io.hf;

import io.jtune.model.arch.ChatGlm;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.nn.RopeConfig;
import java.util.List;

/**
 * Reads a ChatGLM config.json (model_type chatglm, ChatGLMConfig's keys) into a {@link ModelConfig}:
 * num_layers, padded_vocab_size, hidden_size, ffn_hidden_size, kv_channels (the head size),
 * num_attention_heads, multi_query_group_num (the kv heads), seq_length (the context),
 * layernorm_epsilon, add_qkv_bias and add_bias_linear (biases), rope_ratio (the RoPE base is
 * 10000 · rope_ratio); missing keys take ChatGLMConfig's defaults. Variants the published models do
 * not use are refused by their key: LayerNorm instead of RMSNorm (rmsnorm false), the residual
 * taken after the norm, no final norm, attention without multi-query groups (whose fused
 * projection interleaves q, k and v per head), P-tuning prefixes (pre_seq_len) and ChatGLM's own
 * quantized checkpoints (quantization_bit).
 */
final class ChatGlmConfigReader {
    private static final List<String> ARCHITECTURES = List.of("ChatGLMModel", "ChatGLMForConditionalGeneration");

    private ChatGlmConfigReader() {}

    static ModelConfig parse(JsonKeys keys) {
        ModelFamily family = ChatGlm.FAMILY;
        ModelFamily.HfDefaults defaults = family.defaults();
        List<String> archs = keys.strings("architectures");
        if (archs != null) {
            for (String a : archs) {
                if (!ARCHITECTURES.contains(a)) {
                    throw keys.error("architectures", "names \"" + a + "\"; for model_type chatglm jtune supports "
                            + String.join(", ", ARCHITECTURES));
                }
            }
        }
        refuse(keys, "rmsnorm", false, "LayerNorm ChatGLM variants are not supported yet (supported: rmsnorm true)");
        refuse(keys, "apply_residual_connection_post_layernorm", true, "the residual taken after the norm is not supported yet");
        refuse(keys, "post_layer_norm", false, "a model without the final layer norm is not supported yet");
        if (!keys.bool("multi_query_attention", false)) {
            throw keys.error("multi_query_attention", "is false or missing; ChatGLM attention without multi-query groups "
                    + "(q, k and v interleaved per head in query_key_value) is not supported yet (ChatGLM2/3 and GLM-4 set it true)");
        }
        Integer preSeqLen = keys.integerOrNull("pre_seq_len");
        if (preSeqLen != null && preSeqLen > 0) throw keys.error("pre_seq_len", "is set: P-tuning v2 prefixes are not supported");
        if (keys.integer("quantization_bit", 0) != 0) {
            throw keys.error("quantization_bit", "is set: ChatGLM's own quantized checkpoints are not supported "
                    + "(use the bf16/fp16 checkpoint with jtune's quantization_bit)");
        }

        int hidden = keys.positive("hidden_size", 4096);
        int heads = keys.positive("num_attention_heads", 32);
        int groups = keys.positive("multi_query_group_num", 1);
        if (heads % groups != 0) {
            throw keys.error("multi_query_group_num", "(" + groups + ") must divide num_attention_heads (" + heads + ")");
        }
        int headDim = keys.has("kv_channels") ? keys.positive("kv_channels", defaults.headDim()) : defaults.headDim();
        double eps = keys.number("layernorm_epsilon", 1e-5);
        if (!(eps > 0)) throw keys.error("layernorm_epsilon", "must be positive, found " + eps);
        double ropeRatio = keys.number("rope_ratio", 1.0);
        if (!(ropeRatio > 0)) throw keys.error("rope_ratio", "must be positive, found " + ropeRatio);
        boolean linearBias = keys.bool("add_bias_linear", false);
        boolean qkvBias = keys.bool("add_qkv_bias", false) || linearBias;
        Integer pad = keys.integerOrNull("pad_token_id");
        return ModelConfig.builder().modelType(family.modelType())
                .vocabSize(keys.positive("padded_vocab_size", defaults.vocabSize()))
                .hiddenSize(hidden)
                .intermediateSize(keys.positive("ffn_hidden_size", defaults.intermediateSize()))
                .numHiddenLayers(keys.positive("num_layers", 28))
                .numAttentionHeads(heads)
                .numKeyValueHeads(groups)
                .headDim(headDim)
                .maxPositionEmbeddings(keys.positive("seq_length", defaults.maxPositionEmbeddings()))
                .rmsNormEps(eps)
                // RotaryEmbedding(kv_channels // 2, rope_ratio): base 10000 * rope_ratio over half of each head
                .rope(RopeConfig.plain(10000.0 * ropeRatio))
                .partialRotaryFactor(defaults.partialRotaryFactor())
                .tieWordEmbeddings(false)          // output_layer is its own Linear, whatever tie_word_embeddings says
                .attentionBias(qkvBias)
                .outputProjectionBias(linearBias)
                .mlpBias(linearBias)
                .hiddenAct(family.activation().hfName())
                .bosTokenId(keys.integerOrNull("bos_token_id"))
                .eosTokenIds(keys.intOrList("eos_token_id", List.of()))
                .padTokenId(pad)
                .dtype(HfConfigReader.dtype(keys))
                .build();
    }

    private static void refuse(JsonKeys keys, String key, boolean refusedValue, String why) {
        if (keys.has(key) && keys.bool(key, !refusedValue) == refusedValue) throw keys.error(key, "is " + refusedValue + ": " + why);
    }
}
