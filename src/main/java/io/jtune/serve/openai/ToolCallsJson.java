package io.jtune.serve.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.infer.ToolCall;
import java.util.List;

/**
 * Tool calls in OpenAI's response shape: {"id", "type": "function", "function": {"name",
 * "arguments"}} in a message, and the same with its "index" in a streamed delta.
 */
final class ToolCallsJson {
    private ToolCallsJson() {}

    /** Adds "tool_calls" to a message. */
    static void put(ObjectNode message, List<ToolCall> calls) {
        ArrayNode array = message.putArray("tool_calls");
        for (ToolCall call : calls) call(array.addObject(), call);
    }

    /** Adds "tool_calls" with the one call at {@code index} to a streamed delta (the whole call in one delta). */
    static void putDelta(ObjectNode delta, int index, ToolCall call) {
        call(delta.putArray("tool_calls").addObject().put("index", index), call);
    }

    private static void call(ObjectNode node, ToolCall call) {
        node.put("id", call.id()).put("type", "function");
        node.putObject("function").put("name", call.name()).put("arguments", call.arguments());
    }
}
