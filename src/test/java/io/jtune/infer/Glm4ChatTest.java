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
 * GLM-4-0414 through the chat engine: a tiny Glm4ForCausalLM checkpoint (sandwich norms, q/k/v bias,
 * fused gate_up_proj, interleaved rotary on half of each head) under LLaMA-Factory's glm4 template;
 * the greedy KV-cached reply is the full forward's argmax token after token.
 */
public class Glm4ChatTest {
    public static final List<String> SPECIALS = List.of("<|endoftext|>", "[gMASK]", "<sop>", "<|system|>", "<|user|>",
            "<|assistant|>", "<|observation|>");

    /** config.json keys of a tiny GLM-4-0414-like model (head_dim 16: 8 rotated entries). */
    public static Map<String, Object> glm4Keys() {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("architectures", List.of("Glm4ForCausalLM"));
        keys.put("partial_rotary_factor", 0.5);
        keys.put("attention_bias", true);
        keys.put("tie_word_embeddings", false);
        keys.put("rms_norm_eps", 1e-5);
        return keys;
    }

    /** The tiny model with a tokenizer that knows GLM's turn markers. */
    public static Path write(Path dir) throws Exception {
        return GemmaChatTest.write(dir, "glm4", glm4Keys(), SPECIALS, "<|endoftext|>", "<|endoftext|>");
    }

    @Test
    void greedyChatReplyIsTheFullForwardsArgmaxUnderGlm4(@TempDir Path tmp) throws Exception {
        Path modelDir = write(tmp);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("template", "glm4");
        values.put("do_sample", false);
        values.put("max_new_tokens", 10);
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("test", values, List.of())))) {
            assertEquals("glm4", engine.model().model().config().modelType());
            assertEquals(8, engine.model().model().config().rotaryDim());
            List<ChatMessage> messages = List.of(ChatMessage.user("hello world"));
            int[] prompt = engine.promptIds(messages, "Be brief.");
            assertEquals("[gMASK]<sop><|system|>\nBe brief.<|user|>\nhello world<|assistant|>",
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
            int[] replyIds = reply.stream().mapToInt(Integer::intValue).filter(id -> !engine.model().stopIds().contains(id)).toArray();
            // a stream never ends inside a character: a reply cut mid-character drops it (a whole decode shows U+FFFD)
            assertEquals(engine.model().tokenizer().decode(replyIds, true).replaceAll("\uFFFD+$", ""), r.text());
        }
    }
}
