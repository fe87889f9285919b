package io.jtune.infer;

import io.jtune.data.template.ModelChatTemplate;
import io.jtune.data.template.ToolStyle;
import io.jtune.tokenizer.Tokenizer;
import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model's own Jinja chat template, as vLLM and transformers use it: the request becomes
 * OpenAI-shaped messages (the system prompt first, tool calls with their arguments parsed to
 * objects as vLLM passes them), rendered with add_generation_prompt and tokenized without adding
 * special tokens (the template writes BOS itself). A reply ends at the tokenizer's eos_token (and
 * generation_config.json's eos ids, which the caller adds).
 */
public final class ModelTemplateFormat implements PromptFormat {
    private final ModelChatTemplate template;
    private final Tokenizer tokenizer;
    private final Map<String, Object> kwargs;
    private final String defaultSystem;
    private final ToolStyle toolStyle;

    /**
     * @param kwargs        extra template variables (enable_thinking)
     * @param defaultSystem the system prompt when a request has none (the config's default_system), or null
     * @param toolFormat    the config's tool_format, or null to recognise it from the template
     */
    public ModelTemplateFormat(ModelChatTemplate template, Tokenizer tokenizer, Map<String, Object> kwargs,
                               String defaultSystem, ToolStyle toolFormat) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.kwargs = Map.copyOf(kwargs);
        this.defaultSystem = defaultSystem;
        this.toolStyle = toolFormat != null ? toolFormat : template.toolStyle().orElse(null);
    }

    @Override
    public int[] prompt(ChatRequest request) {
        return tokenizer.encode(render(request.messages(), request.system(), request.tools(), true), false);
    }

    /**
     * The template's text for {@code turns} after the system prompt ({@code system}, else the config's
     * default_system, else none), offering {@code tools} (a JSON array, or null), with the generation
     * prompt when {@code addGenerationPrompt}.
     */
    public String render(List<ChatMessage> turns, String system, String tools, boolean addGenerationPrompt) {
        List<Map<String, Object>> messages = new ArrayList<>();
        String sys = system != null ? system : defaultSystem;
        if (sys != null) messages.add(message("system", sys));
        for (ChatMessage m : turns) messages.add(toMap(m));
        return template.render(messages, tools == null ? null : parseTools(tools), addGenerationPrompt, kwargs);
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static Map<String, Object> toMap(ChatMessage m) {
        Map<String, Object> out = message(m.role().wireName(), m.content());
        if (!m.toolCalls().isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (ToolCall c : m.toolCalls()) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", c.name());
                function.put("arguments", arguments(c));
                Map<String, Object> call = new LinkedHashMap<>();
                if (c.id() != null) call.put("id", c.id());
                call.put("type", "function");
                call.put("function", function);
                calls.add(call);
            }
            out.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) out.put("tool_call_id", m.toolCallId());
        return out;
    }

    /** vLLM hands templates the arguments as an object when they are valid JSON, else as the text. */
    private static Object arguments(ToolCall c) {
        try {
            return PythonJson.parse(c.arguments());
        } catch (IllegalArgumentException e) {
            return c.arguments();
        }
    }

    private static List<Object> parseTools(String toolsJson) {
        Object parsed;
        try {
            parsed = PythonJson.parse(toolsJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tools is not valid JSON: " + e.getMessage());
        }
        List<Object> tools = new ArrayList<>();
        ((com.fasterxml.jackson.databind.JsonNode) parsed).forEach(tools::add);
        return tools;
    }

    @Override
    public List<String> stopWords() {
        return List.of();
    }

    @Override
    public Set<Integer> stopIds() {
        Set<Integer> ids = new LinkedHashSet<>();
        tokenizer.eosTokenId().ifPresent(ids::add);
        if (template.eosToken() != null) tokenizer.tokenToId(template.eosToken()).ifPresent(ids::add);
        return ids;
    }

    @Override
    public ToolStyle toolStyle() {
        return template.rendersTools() ? toolStyle : null;
    }

    @Override
    public String whyNoTools() {
        if (!template.rendersTools()) return "the model's chat template does not render tools";
        return "jtune does not recognise the tool-call format of the model's chat template; set tool_format "
                + "(qwen, llama3, mistral, glm4 or default) to the format the model was trained with";
    }

    @Override
    public String describe() {
        return "the model's chat template";
    }
}
