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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phi-3 through the chat engine: a tiny Phi-4-mini-like checkpoint (fused qkv_proj and gate_up_proj,
 * partial rotary 0.75, LongRoPE with its attention factor, tied, a sliding window shorter than the
 * prompt) under LLaMA-Factory's phi4_mini template; the greedy KV-cached reply is the full forward's
 * argmax token after token.
 */
public class Phi3ChatTest {
    public static final List<String> SPECIALS = List.of("<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>");

    /** config.json keys of a tiny Phi-4-mini-like model (head_dim 16: 12 rotated entries, 6 LongRoPE factors each). */
    public static Map<String, Object> phi3Keys() {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("architectures", List.of("Phi3ForCausalLM"));
        keys.put("partial_rotary_factor", 0.75);
        keys.put("original_max_position_embeddings", 256);   // positions here stay within: short factors
        keys.put("rope_scaling", Map.of("type", "longrope",
                "short_factor", List.of(1.0, 1.1, 1.2, 1.5, 2.0, 3.0),
                "long_factor", List.of(1.0, 2.0, 4.0, 8.0, 16.0, 32.0)));
        keys.put("sliding_window", 3);
        keys.put("tie_word_embeddings", true);
        keys.put("rms_norm_eps", 1e-5);
        return keys;
    }

    /** The tiny model with a tokenizer that knows Phi's turn markers. */
    public static Path write(Path dir) throws Exception {
        return GemmaChatTest.write(dir, "phi3", phi3Keys(), SPECIALS, "<|end|>", "<|endoftext|>");
    }

    @Test
    void greedyChatReplyIsTheFullForwardsArgmaxUnderPhi4Mini(@TempDir Path tmp) throws Exception {
        Path modelDir = write(tmp);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("template", "phi4_mini");
        values.put("do_sample", false);
        values.put("max_new_tokens", 10);
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("test", values, List.of())))) {
            assertEquals("phi3", engine.model().model().config().modelType());
            assertTrue(engine.model().model().config().rope().isLongRope());
            List<ChatMessage> messages = List.of(ChatMessage.user("hello world"));
            int[] prompt = engine.promptIds(messages, "Be brief.");
            assertEquals("<|system|>Be brief.<|end|><|user|>hello world<|end|><|assistant|>",
                    engine.model().tokenizer().decode(prompt, false));
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
            assertTrue(prompt.length > 3, "the window (3) is shorter than the prompt, so decoding slides");
            int[] replyIds = reply.stream().mapToInt(Integer::intValue).filter(id -> !engine.model().stopIds().contains(id)).toArray();
            // a stream never ends inside a character: a reply cut mid-character drops it (a whole decode shows U+FFFD)
            assertEquals(engine.model().tokenizer().decode(replyIds, true).replaceAll("\uFFFD+$", ""), r.text());
        }
    }
}
