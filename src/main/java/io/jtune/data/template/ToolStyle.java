package io.jtune.data.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.util.PythonJson;
import java.util.List;

/**
 * How a model family writes the available tools into the system prompt and a tool call into the
 * assistant turn (LLaMA-Factory's tool_utils). Implementations reproduce its text exactly.
 */
public interface ToolStyle {

    /** The text appended to the system message describing {@code tools} (a non-empty JSON array). */
    String toolText(List<JsonNode> tools);

    /** The assistant text for one or more calls. */
    String functionText(List<FunctionCall> calls);

    /**
     * The calls in a generated answer (the inverse of {@link #functionText}), or an empty list when
     * the answer is plain text or its call JSON is invalid (LLaMA-Factory's tool_extractor).
     */
    List<FunctionCall> extract(String content);

    /**
     * The text a call starts with in a generated answer (Qwen's "&lt;tool_call&gt;"), so that a server
     * can stream the text before it; null when the whole answer is the call (a JSON object or list).
     */
    default String callOpener() {
        return null;
    }

    /** The OpenAI-style wrapper {"type": "function", "function": tool} unless the tool already has it. */
    static JsonNode wrapAsFunction(JsonNode tool) {
        if (isFunctionTyped(tool)) return tool;
        ObjectNode wrapped = JsonNodeFactory.instance.objectNode();
        wrapped.put("type", "function");
        wrapped.set("function", tool);
        return wrapped;
    }

    /** The inner function description of an OpenAI-style tool, or the tool itself. */
    static JsonNode unwrapFunction(JsonNode tool) {
        return isFunctionTyped(tool) ? tool.path("function") : tool;
    }

    private static boolean isFunctionTyped(JsonNode tool) {
        return "function".equals(tool.path("type").asText(null));
    }

    /** Rebuilds {"name": name, key: arguments} with the arguments parsed back to JSON. */
    static ObjectNode callObject(FunctionCall call, String argumentsKey) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("name", call.name());
        o.set(argumentsKey, PythonJson.parse(call.arguments()));
        return o;
    }
}
