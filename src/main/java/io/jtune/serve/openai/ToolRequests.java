package io.jtune.serve.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ToolCall;
import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.List;

/**
 * The tool-calling parts of a chat completion request, checked as OpenAI checks them: the
 * {@code tools} (function definitions), {@code tool_choice}, an assistant message's
 * {@code tool_calls} and a {@code tool} message's result. Every malformed field is a 400 naming it.
 */
final class ToolRequests {
    private ToolRequests() {}

    /**
     * The tools the model is offered, as a JSON array, or null when there are none to offer: no
     * tools, an empty list, or {@code tool_choice: "none"} (the tools then stay out of the prompt).
     * A forced call ({@code "required"} or a named function) is refused: jtune cannot constrain decoding.
     */
    static String tools(JsonNode root) {
        JsonNode tools = present(root, "tools");
        if (tools != null && !tools.isArray()) {
            throw ApiError.invalid("tools", "'tools' must be an array of tool objects, got " + tools.getNodeType().name().toLowerCase() + ".");
        }
        for (int i = 0; tools != null && i < tools.size(); i++) checkTool(tools.get(i), "tools[" + i + "]");
        JsonNode choice = present(root, "tool_choice");
        if (choice != null) {
            if (choice.isTextual() && (choice.asText().equals("none") || choice.asText().equals("auto"))) {
                if (choice.asText().equals("none")) return null;
            } else if (choice.isTextual() && choice.asText().equals("required") || choice.isObject()) {
                throw ApiError.unsupported("tool_choice", "tool_choice " + (choice.isObject() ? "naming a function" : "'required'")
                        + " is not supported: jtune cannot force a tool call (it has no guided decoding); use 'auto' and the "
                        + "model decides whether to call a tool.");
            } else {
                throw ApiError.invalid("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or a function object, got " + choice + ".");
            }
        }
        if (tools == null || tools.isEmpty()) return null;
        ArrayNode copy = ((ArrayNode) tools).deepCopy();
        return PythonJson.dumps(copy, PythonJson.Options.NON_ASCII_KEPT);
    }

    private static void checkTool(JsonNode tool, String param) {
        if (!tool.isObject()) throw ApiError.invalid(param, "'" + param + "' must be an object with 'type' and 'function'.");
        JsonNode type = present(tool, "type");
        if (type == null || !type.asText().equals("function")) {
            throw ApiError.invalid(param + ".type", "'" + param + ".type' must be 'function' (the only tool type jtune serves).");
        }
        JsonNode function = present(tool, "function");
        if (function == null || !function.isObject()) {
            throw ApiError.invalid(param + ".function", "Missing required parameter: '" + param + ".function'.");
        }
        JsonNode name = present(function, "name");
        if (name == null || !name.isTextual() || name.asText().isEmpty()) {
            throw ApiError.invalid(param + ".function.name", "'" + param + ".function.name' must be a non-empty string.");
        }
        JsonNode parameters = present(function, "parameters");
        if (parameters != null && !parameters.isObject()) {
            throw ApiError.invalid(param + ".function.parameters", "'" + param + ".function.parameters' must be a JSON Schema object.");
        }
    }

    /** An assistant message's tool_calls, or an empty list when it has none. */
    static List<ToolCall> calls(JsonNode message, int index) {
        JsonNode calls = present(message, "tool_calls");
        String param = "messages[" + index + "].tool_calls";
        if (calls == null) return List.of();
        if (!calls.isArray()) throw ApiError.invalid(param, "'" + param + "' must be an array.");
        List<ToolCall> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            String p = param + "[" + i + "]";
            JsonNode call = calls.get(i);
            JsonNode function = call.isObject() ? present(call, "function") : null;
            if (function == null || !function.isObject()) throw ApiError.invalid(p + ".function", "Missing required parameter: '" + p + ".function'.");
            JsonNode name = present(function, "name");
            if (name == null || !name.isTextual()) throw ApiError.invalid(p + ".function.name", "'" + p + ".function.name' must be a string.");
            JsonNode arguments = present(function, "arguments");
            if (arguments == null || !arguments.isTextual()) {
                throw ApiError.invalid(p + ".function.arguments", "'" + p + ".function.arguments' must be a string of JSON.");
            }
            JsonNode id = present(call, "id");
            out.add(new ToolCall(id == null ? null : id.asText(), name.asText(), arguments.asText()));
        }
        return out;
    }

    /** A tool message's tool_call_id (OpenAI requires it). */
    static String toolCallId(JsonNode message, int index) {
        JsonNode id = present(message, "tool_call_id");
        String param = "messages[" + index + "].tool_call_id";
        if (id == null) throw ApiError.invalid(param, "Missing required parameter: '" + param + "'.");
        if (!id.isTextual()) throw ApiError.invalid(param, "'" + param + "' must be a string.");
        return id.asText();
    }

    /** A turn's role as jtune's ChatMessage role. */
    static ChatMessage.Role role(String wire) {
        return switch (wire) {
            case "user" -> ChatMessage.Role.USER;
            case "assistant" -> ChatMessage.Role.ASSISTANT;
            default -> ChatMessage.Role.TOOL;
        };
    }

    private static JsonNode present(JsonNode object, String name) {
        JsonNode value = object.get(name);
        return value == null || value.isNull() ? null : value;
    }
}
