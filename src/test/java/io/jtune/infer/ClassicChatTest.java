package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.config.ConfigLoader;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The LayerNorm families (GPT-2, ...) through the chat engine: a tiny checkpoint in the family's HF
 * layout under LLaMA-Factory's template for it (default for GPT-2); the greedy KV-cached reply is
 * the full forward's argmax token after token.
 */
public class ClassicChatTest {
    public static final List<String> SPECIALS = List.of("<|endoftext|>");

    /** config.json keys of a tiny model of the family, in its config class's own names. */
    public static Map<String, Object> familyKeys(String modelType) {
        Map<String, Object> keys = new LinkedHashMap<>();
        switch (modelType) {
            case "gpt2" -> {
                keys.put("architectures", List.of("GPT2LMHeadModel"));
                keys.put("n_embd", 32);
                keys.put("n_layer", 3);
                keys.put("n_head", 4);
                keys.put("n_positions", 512);
                keys.put("activation_function", "gelu_new");
                keys.put("layer_norm_epsilon", 1e-5);
                keys.put("tie_word_embeddings", true);
            }
            case "bloom" -> {
                keys.put("architectures", List.of("BloomForCausalLM"));
                keys.put("hidden_size", 36);     // 6 heads of 6: ALiBi's 4 + 2 slopes
                keys.put("n_layer", 3);
                keys.put("n_head", 6);
                keys.put("layer_norm_epsilon", 1e-5);
                keys.put("tie_word_embeddings", true);
            }
            case "falcon" -> {
                // Falcon-7B's layout: multi_query, parallel attention and MLP off one LayerNorm
                keys.put("architectures", List.of("FalconForCausalLM"));
                keys.put("hidden_size", 32);
                keys.put("num_hidden_layers", 3);
                keys.put("num_attention_heads", 4);
                keys.put("multi_query", true);
                keys.put("parallel_attn", true);
                keys.put("new_decoder_architecture", false);
                keys.put("bias", false);
                keys.put("alibi", false);
                keys.put("layer_norm_epsilon", 1e-5);
                keys.put("max_position_embeddings", 512);
            }
            default -> throw new IllegalArgumentException(modelType);
        }
        return keys;
    }

    /** The generic writer's Llama keys a family's config class does not have. */
    private static final List<String> LLAMA_ONLY = List.of("hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings");

    /** The tiny model with a small byte-level tokenizer whose end of text is GPT-2's. */
    public static Path write(Path dir, String modelType) throws Exception {
        Map<String, Object> keys = familyKeys(modelType);
        for (String k : LLAMA_ONLY) keys.putIfAbsent(k, null);   // null: as if absent, so the family's own keys apply
        return GemmaChatTest.write(dir, modelType, keys, SPECIALS, "<|endoftext|>", "<|endoftext|>");
    }

    static String template(String modelType) {
        return switch (modelType) {
            case "gpt2", "bloom" -> "default";   // LLaMA-Factory has no template of their own
            case "falcon" -> "falcon";
            default -> throw new IllegalArgumentException(modelType);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "bloom", "falcon"})
    void greedyChatReplyIsTheFullForwardsArgmax(String modelType, @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path modelDir = write(tmp, modelType);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("template", template(modelType));
        values.put("do_sample", false);
        values.put("max_new_tokens", 10);
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("test", values, List.of())))) {
            assertEquals(modelType, engine.model().model().config().modelType());
            List<ChatMessage> messages = List.of(ChatMessage.user("hello world"));
            int[] prompt = engine.promptIds(messages, "Be brief.");
            String expectedPrompt = modelType.equals("falcon")
                    ? "Be brief.User: hello world\nFalcon:"   // the falcon template's system format is LLaMA-Factory's default, {{content}}
                    : "System: Be brief.<|endoftext|>\nHuman: hello world<|endoftext|>\nAssistant:";
            assertEquals(expectedPrompt, engine.model().tokenizer().decode(prompt, false));
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
            assertTrue(reply.size() > 1, "a reply of more than one token exercises the cache");
            int[] replyIds = reply.stream().mapToInt(Integer::intValue).filter(id -> !engine.model().stopIds().contains(id)).toArray();
            assertEquals(engine.model().tokenizer().decode(replyIds, true).replaceAll("\uFFFD+$", ""), r.text());
        }
    }
}
