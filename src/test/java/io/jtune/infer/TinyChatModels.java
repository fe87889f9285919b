package io.jtune.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.io.hf.HfConfigReader;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.RandomWeights;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tokenizer.train.BpeTrainer;
import io.jtune.tokenizer.train.ByteLevelTokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a tiny but complete Hugging Face model directory for end-to-end tests: a real byte-level
 * BPE tokenizer (trained on a few sentences, with Qwen's special tokens), config.json,
 * generation_config.json and random qwen2 weights in safetensors.
 */
public final class TinyChatModels {
    static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private TinyChatModels() {}

    public static Path write(Path dir) throws IOException {
        return write(dir, 32);
    }

    /** The same model with another hidden size (a base whose shapes another model's adapter does not fit). */
    public static Path write(Path dir, int hiddenSize) throws IOException {
        Path tokDir = dir.resolve("tok");
        Files.createDirectories(tokDir);
        BpeTrainer.Vocabulary vocab = BpeTrainer.train(List.of(
                "hello world, the model says hello to the world.",
                "user assistant system: you are a helpful assistant.",
                "你好，世界！模型说你好。", "1 + 1 = 2; 2 + 2 = 4"), 300, 1);
        ByteLevelTokenizerFiles.write(tokDir, vocab, SPECIALS, "<|endoftext|>", "<|endoftext|>", null, 2048);
        int vocabSize = vocab.tokens().size() + SPECIALS.size();
        int endOfText = vocab.tokens().size();

        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("Qwen2ForCausalLM");
        config.put("model_type", "qwen2");
        config.put("vocab_size", vocabSize);
        config.put("hidden_size", hiddenSize);
        config.put("intermediate_size", 48);
        config.put("num_hidden_layers", 2);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("max_position_embeddings", 512);
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_theta", 10000.0);
        config.put("tie_word_embeddings", true);
        config.put("hidden_act", "silu");
        config.put("eos_token_id", endOfText);
        config.put("torch_dtype", "float32");
        ObjectNode generation = json.createObjectNode();
        generation.put("eos_token_id", endOfText);

        ModelConfig c = HfConfigReader.parse(config, dir.resolve("config.json"));
        RandomWeights weights = new RandomWeights(c, 5, DType.F32, 0.5);
        List<TensorToWrite> tensors = new ArrayList<>();
        for (ModelTensor e : Families.of(c).checkpointTensors(c)) {
            Matrix m = weights.tensor(e.name());
            float[] v = new float[m.rows() * m.cols()];
            for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), v, r * m.cols());
            tensors.add(TensorToWrite.ofFloats(e.name(), DType.F32, e.shape(), v));
        }
        Path modelDir = dir.resolve("model");
        HfModelWriter.save(modelDir, config, generation, tokDir, tensors, DType.F32, 1L << 30);
        return modelDir;
    }

    /** A config for chat/api/predict on {@code modelDir}: qwen template, greedy, short replies. */
    public static JtuneConfig config(Path modelDir, String... overrides) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("template", "qwen");
        values.put("do_sample", false);
        values.put("max_new_tokens", 12);
        return ConfigLoader.fromMap("test", values, List.of(overrides));
    }
}
