package io.jtune.infer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.data.Message;
import io.jtune.data.Role;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import io.jtune.data.template.ToolStyle;
import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A LLaMA-Factory template named by the config's {@code template} key, used as LLaMA-Factory's chat
 * engine uses it: the history plus an empty assistant turn through encode_oneturn. Tool calls and
 * results map to its function and observation turns as its API does (api/chat.py), which keeps
 * strict alternation: one tool result per calling turn.
 */
public final class NamedTemplateFormat implements PromptFormat {
    private final Template template;
    private final ChatTokenizer tokenizer;

    public NamedTemplateFormat(Template template, ChatTokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
    }

    public Template template() {
        return template;
    }

    public ChatTokenizer chatTokenizer() {
        return tokenizer;
    }

    @Override
    public int[] prompt(ChatRequest request) {
        List<Message> conversation = new ArrayList<>(request.messages().size());
        for (int i = 0; i < request.messages().size(); i++) {
            ChatMessage m = request.messages().get(i);
            if (m.role() == ChatMessage.Role.TOOL && i > 0 && request.messages().get(i - 1).role() == ChatMessage.Role.TOOL) {
                throw new IllegalArgumentException("template '" + template.name() + "' takes one tool result after each "
                        + "tool-calling turn (LLaMA-Factory's alternation); turn " + i + " is a second one. Send the results "
                        + "as one tool message, or serve the model with its own chat template (leave template unset)");
            }
            conversation.add(toMessage(m));
        }
        return template.encodeGenerationPrompt(tokenizer, conversation, request.system(), request.tools());
    }

    private static Message toMessage(ChatMessage m) {
        return switch (m.role()) {
            case USER -> Message.user(m.content());
            case TOOL -> new Message(Role.OBSERVATION, m.content());
            case ASSISTANT -> m.toolCalls().isEmpty() ? Message.assistant(m.content()) : new Message(Role.FUNCTION, callsJson(m.toolCalls()));
        };
    }

    /** The function turn's content as LLaMA-Factory's API builds it: [{"name": ..., "arguments": ...}]. */
    static String callsJson(List<ToolCall> calls) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (ToolCall c : calls) {
            ObjectNode o = array.addObject().put("name", c.name());
            try {
                o.set("arguments", PythonJson.parse(c.arguments()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the arguments of tool call '" + c.name() + "' are not valid JSON: " + e.getMessage());
            }
        }
        return PythonJson.dumps(array, PythonJson.Options.NON_ASCII_KEPT);
    }

    @Override
    public List<String> stopWords() {
        return template.stopWords();
    }

    @Override
    public Set<Integer> stopIds() {
        return Set.copyOf(tokenizer.stopIds());
    }

    @Override
    public ToolStyle toolStyle() {
        return template.tools().style();
    }

    @Override
    public String whyNoTools() {
        return "";
    }

    @Override
    public String describe() {
        return "template " + template.name();
    }
}
