package io.jtune.io.gguf;

import io.jtune.nn.RopeConfig;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A tiny random Llama-family checkpoint under HF tensor names, as a GgufModelSource. */
final class TinyCheckpoint implements GgufModelSource {
    final ModelConfig config;
    final Map<String, Matrix> tensors = new LinkedHashMap<>();
    final GgufTokenizer tokenizer;

    private TinyCheckpoint(ModelConfig config, long seed) {
        this(config, seed, config.vocabSize());
    }

    /** With a tokenizer of {@code tokens} tokens (fewer than the embedding's rows: Gemma 3's padding rows). */
    private TinyCheckpoint(ModelConfig config, long seed, int tokenCount) {
        this.config = config;
        Random rnd = new Random(seed);
        int h = config.hiddenSize();
        add("model.embed_tokens.weight", config.vocabSize(), h, rnd);
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            add(p + "input_layernorm.weight", 1, h, rnd);
            add(p + "self_attn.q_proj.weight", config.qDim(), h, rnd);
            add(p + "self_attn.k_proj.weight", config.kvDim(), h, rnd);
            add(p + "self_attn.v_proj.weight", config.kvDim(), h, rnd);
            if (config.attentionBias()) {
                add(p + "self_attn.q_proj.bias", 1, config.qDim(), rnd);
                add(p + "self_attn.k_proj.bias", 1, config.kvDim(), rnd);
                add(p + "self_attn.v_proj.bias", 1, config.kvDim(), rnd);
            }
            if (config.qkNorm()) {
                add(p + "self_attn.q_norm.weight", 1, config.headDim(), rnd);
                add(p + "self_attn.k_norm.weight", 1, config.headDim(), rnd);
            }
            add(p + "self_attn.o_proj.weight", h, config.qDim(), rnd);
            add(p + "post_attention_layernorm.weight", 1, h, rnd);
            if (config.modelType().startsWith("gemma") && !config.modelType().equals("gemma")) {
                add(p + "pre_feedforward_layernorm.weight", 1, h, rnd);
                add(p + "post_feedforward_layernorm.weight", 1, h, rnd);
            }
            add(p + "mlp.gate_proj.weight", config.intermediateSize(), h, rnd);
            add(p + "mlp.up_proj.weight", config.intermediateSize(), h, rnd);
            add(p + "mlp.down_proj.weight", h, config.intermediateSize(), rnd);
        }
        add("model.norm.weight", 1, h, rnd);
        if (!config.tieWordEmbeddings()) add("lm_head.weight", config.vocabSize(), h, rnd);
        List<String> tokens = new ArrayList<>();
        int[] types = new int[tokenCount];
        for (int i = 0; i < tokenCount; i++) {
            boolean special = i >= tokenCount - 2;
            tokens.add(special ? (i == tokenCount - 1 ? "<|im_end|>" : "<|im_start|>") : "t" + i);
            types[i] = special ? GgufTokenizer.TYPE_CONTROL : GgufTokenizer.TYPE_NORMAL;
        }
        tokenizer = new GgufTokenizer("gpt2", "qwen2", tokens, types, List.of("t 1", "t1 2"), null,
                null, tokenCount - 1, null, tokenCount - 1, false, null, null, "{{ messages }}");
    }

    private void add(String name, int rows, int cols, Random rnd) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * 0.5f;
        tensors.put(name, Matrix.of(v, rows, cols));
    }

    static ModelConfig config(String modelType, boolean tied, RopeConfig rope) {
        boolean qwen2 = modelType.equals("qwen2");
        boolean qwen3 = modelType.equals("qwen3");
        // headDim 16 = hidden/heads for llama/qwen2; qwen3 uses an explicit head_dim of 32
        int heads = 4;
        int headDim = qwen3 ? 32 : 16;
        return ModelConfig.builder().modelType(modelType)
                .vocabSize(40).hiddenSize(64).intermediateSize(96).numHiddenLayers(2)
                .numAttentionHeads(heads).numKeyValueHeads(2).headDim(headDim).maxPositionEmbeddings(2048)
                .rope(rope)
                .tieWordEmbeddings(tied).attentionBias(qwen2).qkNorm(qwen3)
                .eosTokenIds(List.of(39)).dtype(DType.F32)
                .build();
    }

    static TinyCheckpoint of(String modelType, boolean tied) {
        return new TinyCheckpoint(config(modelType, tied, RopeConfig.plain(10000.0)), 42);
    }

    static TinyCheckpoint of(ModelConfig config) {
        return new TinyCheckpoint(config, 7);
    }

    static TinyCheckpoint of(ModelConfig config, int tokenCount) {
        return new TinyCheckpoint(config, 7, tokenCount);
    }

    /** Row-major fp32 values of a source tensor. */
    float[] values(String hfName) {
        Matrix m = tensors.get(hfName);
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), out, r * m.cols());
        return out;
    }

    @Override public ModelConfig config() { return config; }
    @Override public String name() { return "tiny-" + config.modelType(); }
    @Override public Matrix tensor(String hfName) { return tensors.get(hfName); }
    @Override public GgufTokenizer tokenizer() { return tokenizer; }
}
