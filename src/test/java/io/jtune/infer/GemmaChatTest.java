package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.config.ConfigLoader;
import io.jtune.io.hf.HfConfigReader;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.RandomWeights;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tokenizer.train.BpeTrainer;
import io.jtune.tokenizer.train.ByteLevelTokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The Gemma families through the chat engine (what `jtune chat`, the API and the web UI use): the
 * prompt is the family's LLaMA-Factory template, and a greedy reply, decoded with the KV cache
 * (sliding windows on Gemma 2's and Gemma 3's local layers, soft-capped logits on Gemma 2), is the
 * argmax of the full forward token after token.
 */
public class GemmaChatTest {
    private static final List<String> SPECIALS = List.of("<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>");

    /** A tiny model of the family with a small byte-level tokenizer that knows Gemma's turn markers. */
    public static Path write(Path dir, String modelType, Map<String, Object> familyKeys) throws Exception {
        return write(dir, modelType, familyKeys, SPECIALS, "<eos>", "<pad>");
    }

    /** A tiny model of any family with a small byte-level tokenizer holding these special tokens. */
    public static Path write(Path dir, String modelType, Map<String, Object> familyKeys, List<String> specials, String eosToken,
                             String padToken) throws Exception {
        Path tokDir = dir.resolve("tok");
        Files.createDirectories(tokDir);
        BpeTrainer.Vocabulary vocab = BpeTrainer.train(List.of("hello world, the model says hello to the world.",
                "user model: you are a helpful assistant.", "1 + 1 = 2; 2 + 2 = 4"), 280, 1);
        ByteLevelTokenizerFiles.write(tokDir, vocab, specials, eosToken, padToken, null, 2048);
        int eos = vocab.tokens().size() + specials.indexOf(eosToken);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("model_type", modelType);
        config.put("vocab_size", vocab.tokens().size() + specials.size());
        config.put("hidden_size", 32);
        config.put("intermediate_size", 48);
        config.put("num_hidden_layers", 3);
        config.put("num_attention_heads", 4);
        config.put("num_key_value_heads", 2);
        config.put("head_dim", 16);
        config.put("max_position_embeddings", 512);
        config.put("eos_token_id", eos);
        config.put("torch_dtype", "float32");
        familyKeys.forEach((k, v) -> config.set(k, json.valueToTree(v)));
        ObjectNode generation = json.createObjectNode();
        generation.put("eos_token_id", eos);
        ModelConfig c = HfConfigReader.parse(config, dir.resolve("config.json"));
        RandomWeights weights = new RandomWeights(c, 5, DType.F32, 0.5);
        List<TensorToWrite> tensors = new ArrayList<>();
        for (ModelTensor e : Families.of(c).checkpointTensors(c)) {
            Matrix m = weights.tensor(e.name());
            float[] v = new float[m.rows() * m.cols()];
            for (int r = 0; r < m.rows(); r++) {
                for (int col = 0; col < m.cols(); col++) v[e.transposed() ? col * m.rows() + r : r * m.cols() + col] = m.get(r, col);
            }
            tensors.add(TensorToWrite.ofFloats(e.name(), DType.F32, e.shape(), v));   // a Conv1D weight (GPT-2) stored [in, out]
        }
        Path modelDir = dir.resolve("model");
        HfModelWriter.save(modelDir, config, generation, tokDir, tensors, DType.F32, 1L << 30);
        return modelDir;
    }

    /** config.json keys that give a tiny model of the family windows and caps shorter than its prompts. */
    public static Map<String, Object> familyKeys(String modelType) {
        Map<String, Object> keys = new LinkedHashMap<>();
        switch (modelType) {
            case "gemma" -> keys.put("hidden_activation", "gelu_pytorch_tanh");
            case "gemma2" -> {
                keys.put("sliding_window", 3);
                keys.put("query_pre_attn_scalar", 16);
                keys.put("attn_logit_softcapping", 5.0);
                keys.put("final_logit_softcapping", 4.0);
            }
            case "gemma3_text" -> {
                keys.put("sliding_window", 3);
                keys.put("sliding_window_pattern", 3);
                keys.put("query_pre_attn_scalar", 16);
            }
            default -> throw new IllegalArgumentException(modelType);
        }
        return keys;
    }

    @ParameterizedTest
    @CsvSource({"gemma, gemma", "gemma2, gemma2", "gemma3_text, gemma3"})
    void greedyChatReplyIsTheFullForwardsArgmaxUnderTheFamilysTemplate(String modelType, String template, @TempDir Path tmp)
            throws Exception {
        Path modelDir = write(tmp, modelType, familyKeys(modelType));
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("template", template);
        values.put("do_sample", false);
        values.put("max_new_tokens", 10);
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("test", values, List.of())))) {
            List<ChatMessage> messages = List.of(ChatMessage.user("hello world"));
            int[] prompt = engine.promptIds(messages, "Be brief.");
            assertEquals("<start_of_turn>user\nBe brief.\n\nhello world<end_of_turn>\n<start_of_turn>model\n",
                    engine.model().tokenizer().decode(prompt, false).replace("<bos>", ""));
            ChatResult r = engine.generate(new ChatRequest(messages, "Be brief.", SamplingParams.DEFAULTS, new Cancellation()),
                    TokenListener.IGNORE);

            CausalLM model = engine.model().model();
            int vocab = model.config().vocabSize();
            List<Integer> seq = new ArrayList<>();
            for (int id : prompt) seq.add(id);
            List<Integer> reply = new ArrayList<>();
            while (reply.size() < 10) {
                int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
                float[] logits = model.forwardLogits(Batch.of(new int[][] {ids}, null));
                int next = Sampler.argmax(Arrays.copyOfRange(logits, (ids.length - 1) * vocab, ids.length * vocab));
                reply.add(next);
                seq.add(next);
                if (engine.model().stopIds().contains(next)) break;
            }
            assertEquals(reply.size(), r.completionTokens(), modelType);
            assertTrue(prompt.length > 3, "the window (3) is shorter than the prompt, so decoding slides");
            int[] replyIds = reply.stream().mapToInt(Integer::intValue).filter(id -> !engine.model().stopIds().contains(id)).toArray();
            assertEquals(engine.model().tokenizer().decode(replyIds, true).replaceAll("\uFFFD+$", ""), r.text(), modelType);
        }
    }
}
