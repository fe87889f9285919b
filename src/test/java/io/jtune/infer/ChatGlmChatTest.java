package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.jtune.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ChatGLM3 through the chat engine: a tiny checkpoint in ChatGLMModel's layout and config keys, with
 * a sentencepiece tokenizer.model and ChatGLMTokenizer's special tokens (no tokenizer.json), under
 * LLaMA-Factory's chatglm3 template; the greedy KV-cached reply is the full forward's argmax token
 * after token.
 */
public class ChatGlmChatTest {
    private static final Path SENTENCEPIECE = Path.of("src/test/resources/goldens/sentencepiece/unigram.model");

    /** A tiny ChatGLM3-like model folder: config.json with ChatGLM's keys, random weights, tokenizer.model. */
    public static Path write(Path dir) throws Exception {
        Path tokDir = dir.resolve("tok");
        Files.createDirectories(tokDir);
        Files.copy(SENTENCEPIECE, tokDir.resolve("tokenizer.model"));
        Files.writeString(tokDir.resolve("tokenizer_config.json"), """
                {"tokenizer_class": "ChatGLMTokenizer", "eos_token": "</s>", "pad_token": "<unk>", "unk_token": "<unk>",
                 "clean_up_tokenization_spaces": false, "padding_side": "left", "remove_space": false,
                 "auto_map": {"AutoTokenizer": ["tokenization_chatglm.ChatGLMTokenizer", null]}}
                """);
        int tokens = HfTokenizer.load(tokDir).vocabSize();
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("model_type", "chatglm");
        config.putArray("architectures").add("ChatGLMModel");
        config.put("add_bias_linear", false);
        config.put("add_qkv_bias", true);
        config.put("apply_residual_connection_post_layernorm", false);
        config.put("ffn_hidden_size", 48);
        config.put("hidden_size", 32);
        config.put("kv_channels", 16);
        config.put("layernorm_epsilon", 1e-5);
        config.put("multi_query_attention", true);
        config.put("multi_query_group_num", 2);
        config.put("num_attention_heads", 4);
        config.put("num_layers", 3);
        config.put("original_rope", true);
        config.put("padded_vocab_size", tokens + 3);   // padded past the tokenizer, as ChatGLM3's 65024
        config.put("post_layer_norm", true);
        config.put("rmsnorm", true);
        config.put("rope_ratio", 1.0);
        config.put("seq_length", 512);
        config.put("torch_dtype", "float32");
        config.put("tie_word_embeddings", false);
        config.put("eos_token_id", 2);
        config.put("pad_token_id", 0);
        ObjectNode generation = json.createObjectNode();
        generation.put("eos_token_id", 2);
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

    @Test
    void greedyChatReplyIsTheFullForwardsArgmaxUnderChatGlm3(@TempDir Path tmp) throws Exception {
        Path modelDir = write(tmp);
        assertTrue(Files.exists(modelDir.resolve("tokenizer.model")) && !Files.exists(modelDir.resolve("tokenizer.json")));
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("template", "chatglm3");
        values.put("do_sample", false);
        values.put("max_new_tokens", 10);
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("test", values, List.of())))) {
            assertEquals("chatglm", engine.model().model().config().modelType());
            var tok = engine.model().tokenizer();
            List<ChatMessage> messages = List.of(ChatMessage.user("hello world"));
            int[] prompt = engine.promptIds(messages, "Be brief.");
            int gmask = tok.tokenToId("[gMASK]").orElseThrow(), sop = tok.tokenToId("sop").orElseThrow();
            int system = tok.tokenToId("<|system|>").orElseThrow(), user = tok.tokenToId("<|user|>").orElseThrow();
            int assistant = tok.tokenToId("<|assistant|>").orElseThrow();
            assertArrayEquals(new int[] {gmask, sop, system}, Arrays.copyOf(prompt, 3));
            assertEquals(assistant, prompt[prompt.length - 1]);
            assertTrue(Arrays.stream(prompt).anyMatch(id -> id == user));
            assertTrue(engine.model().stopIds().contains(user), "<|user|> stops the reply");

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
            assertEquals(reply.size(), r.completionTokens());
            int[] replyIds = reply.stream().mapToInt(Integer::intValue).filter(id -> !engine.model().stopIds().contains(id)).toArray();
            // the streamed text (sentencepiece decoding, window by window) is the whole reply's decode
            assertEquals(tok.decode(replyIds, true).replaceAll("\uFFFD+$", ""), r.text());
        }
    }
}
