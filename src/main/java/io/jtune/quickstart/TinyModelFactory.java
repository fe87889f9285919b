package io.jtune.quickstart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.RandomWeights;
import io.jtune.model.arch.Llama;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tokenizer.train.BpeTrainer;
import io.jtune.tokenizer.train.ByteLevelTokenizerFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a small Llama-architecture model directory from nothing: a byte-level BPE tokenizer learned
 * from the given texts, random weights, and HF's config.json / generation_config.json. Everything a
 * real checkpoint directory has, so every jtune command (and transformers) can load it. Used by the
 * quickstart for its base model and by end-to-end tests.
 */
public final class TinyModelFactory {
    /** Special tokens in chatml order: the quickstart's models use the chatml template. */
    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    /** The architecture's size; the vocabulary size follows from the tokenizer. */
    public record Size(int hidden, int intermediate, int layers, int heads, int kvHeads, int maxPositions) {}

    private TinyModelFactory() {}

    /** A chatml chat template for tokenizer_config.json (HF's apply_chat_template and Ollama read it). */
    static final String CHAT_TEMPLATE = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public static ModelConfig create(Path dir, Iterable<String> tokenizerTexts, int vocabSize, Size size, long seed) throws IOException {
        BpeTrainer.Vocabulary vocab = BpeTrainer.train(tokenizerTexts, vocabSize - SPECIAL_TOKENS.size(), 2);
        ByteLevelTokenizerFiles.write(dir, vocab, SPECIAL_TOKENS, "<|im_end|>", "<|endoftext|>", CHAT_TEMPLATE, size.maxPositions());
        int vocabTotal = vocab.tokens().size() + SPECIAL_TOKENS.size();
        int eos = vocab.tokens().size() + 2;   // <|im_end|>
        int pad = vocab.tokens().size();       // <|endoftext|>
        ModelConfig config = ModelConfig.builder()
                .modelType(Llama.FAMILY.modelType())
                .vocabSize(vocabTotal)
                .hiddenSize(size.hidden())
                .intermediateSize(size.intermediate())
                .numHiddenLayers(size.layers())
                .numAttentionHeads(size.heads())
                .numKeyValueHeads(size.kvHeads())
                .maxPositionEmbeddings(size.maxPositions())
                .rmsNormEps(1e-5)
                .rope(RopeConfig.plain(10000))
                .tieWordEmbeddings(true)
                .eosTokenIds(List.of(eos))
                .padTokenId(pad)
                .dtype(DType.F32)
                .build();
        RandomWeights weights = new RandomWeights(config, seed, DType.F32);
        List<TensorToWrite> tensors = new ArrayList<>();
        for (ModelTensor e : Llama.FAMILY.checkpointTensors(config)) {
            Matrix m = weights.tensor(e.name());
            float[] data = new float[m.rows() * m.cols()];
            for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), data, r * m.cols());
            tensors.add(TensorToWrite.ofFloats(e.name(), DType.F32, e.shape(), data));
        }
        HfModelWriter.save(dir, configJson(config), generationConfigJson(config), null, tensors, DType.F32, 1L << 30);
        return config;
    }

    private static ObjectNode configJson(ModelConfig c) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.putArray("architectures").add(Llama.FAMILY.hfArchitecture());
        n.put("attention_bias", false);
        n.put("attention_dropout", 0.0);
        n.putNull("bos_token_id");
        n.put("eos_token_id", c.eosTokenIds().get(0));
        n.put("head_dim", c.headDim());
        n.put("hidden_act", c.hiddenAct());
        n.put("hidden_size", c.hiddenSize());
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", c.intermediateSize());
        n.put("max_position_embeddings", c.maxPositionEmbeddings());
        n.put("mlp_bias", false);
        n.put("model_type", c.modelType());
        n.put("num_attention_heads", c.numAttentionHeads());
        n.put("num_hidden_layers", c.numHiddenLayers());
        n.put("num_key_value_heads", c.numKeyValueHeads());
        n.put("pad_token_id", c.padTokenId());
        n.put("rms_norm_eps", c.rmsNormEps());
        n.putNull("rope_scaling");
        n.put("rope_theta", c.rope().theta());
        n.put("tie_word_embeddings", c.tieWordEmbeddings());
        n.put("torch_dtype", "float32");
        n.put("use_cache", true);
        n.put("vocab_size", c.vocabSize());
        return n;
    }

    private static ObjectNode generationConfigJson(ModelConfig c) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("eos_token_id", c.eosTokenIds().get(0));
        n.put("pad_token_id", c.padTokenId());
        n.put("do_sample", false);
        return n;
    }
}
