package io.jtune.io.hf;

import java.util.Arrays;
import java.util.List;

/**
 * The model families jtune runs, with the defaults transformers' config classes use for keys a
 * config.json leaves out (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config) and the
 * per-family facts config.json does not spell out (which projections carry a bias).
 */
enum ModelFamily {
    //      model_type  architecture         vocab   inter  kvHeads maxPos   bos   eos  headDim
    LLAMA("llama", "LlamaForCausalLM", 32000, 11008, null, 2048, 1, 2, null),
    MISTRAL("mistral", "MistralForCausalLM", 32000, 14336, 8, 4096 * 32, 1, 2, null),
    QWEN2("qwen2", "Qwen2ForCausalLM", 151936, 22016, 32, 32768, null, null, null),
    QWEN3("qwen3", "Qwen3ForCausalLM", 151936, 22016, 32, 32768, null, null, 128);

    // Shared by all four: hidden_size 4096, 32 layers, 32 heads, rms_norm_eps 1e-6, rope_theta
    // 10000, hidden_act silu, tie_word_embeddings false.
    static final int HIDDEN_SIZE = 4096;
    static final int LAYERS = 32;
    static final int HEADS = 32;
    static final double RMS_NORM_EPS = 1e-6;
    static final double ROPE_THETA = 10000.0;

    final String modelType;
    final String architecture;
    final int vocabSize;
    final int intermediateSize;
    final Integer numKeyValueHeads; // null: same as num_attention_heads
    final int maxPositionEmbeddings;
    final Integer bosTokenId;
    final Integer eosTokenId;
    final Integer headDim;          // null: hidden_size / num_attention_heads

    ModelFamily(String modelType, String architecture, int vocabSize, int intermediateSize, Integer numKeyValueHeads,
                int maxPositionEmbeddings, Integer bosTokenId, Integer eosTokenId, Integer headDim) {
        this.modelType = modelType;
        this.architecture = architecture;
        this.vocabSize = vocabSize;
        this.intermediateSize = intermediateSize;
        this.numKeyValueHeads = numKeyValueHeads;
        this.maxPositionEmbeddings = maxPositionEmbeddings;
        this.bosTokenId = bosTokenId;
        this.eosTokenId = eosTokenId;
        this.headDim = headDim;
    }

    static ModelFamily byModelType(String modelType) {
        for (ModelFamily f : values()) if (f.modelType.equals(modelType)) return f;
        return null;
    }

    static boolean isSupportedArchitecture(String architecture) {
        return Arrays.stream(values()).anyMatch(f -> f.architecture.equals(architecture));
    }

    static List<String> modelTypes() {
        return Arrays.stream(values()).map(f -> f.modelType).toList();
    }

    static List<String> architectures() {
        return Arrays.stream(values()).map(f -> f.architecture).toList();
    }
}
