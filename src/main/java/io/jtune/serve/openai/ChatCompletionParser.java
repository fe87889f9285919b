package io.jtune.serve.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ConversationOrder;
import io.jtune.infer.SamplingParams;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a chat completion request body into a {@link ChatCompletionCall}, or refuses it with a 400
 * that names the offending parameter, as OpenAI does.
 *
 * <p>The conversation rules are LLaMA-Factory's (api/chat.py) with OpenAI's tool turns
 * ({@link ConversationOrder}): an optional system message first, then user and assistant turns
 * alternating, an assistant turn that calls tools followed by the tools' results, ending with a user
 * turn or tool results. Tools are read by {@link ToolRequests}. Parameters jtune cannot honour
 * (n > 1, legacy functions, logprobs, logit_bias, JSON mode, images) are refused rather than silently
 * ignored; parameters that do not change the reply (user, store, metadata, ...) are ignored.
 */
final class ChatCompletionParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatCompletionParser() {}

    static ChatCompletionCall parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.invalid(null, "The request body could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiError.invalid(null, "The request body must be a JSON object with 'model' and 'messages'.");
        }
        return parse(root);
    }

    private static ChatCompletionCall parse(JsonNode root) {
        String model = requiredString(root, "model");
        refuseUnsupported(root);
        boolean stream = optionalBoolean(root, "stream", false);
        JsonNode streamOptions = present(root, "stream_options");
        boolean includeUsage = streamOptions != null && optionalBoolean(streamOptions, "include_usage", "stream_options.include_usage", false);

        JsonNode messages = present(root, "messages");
        if (messages == null) {
            throw ApiError.invalid("messages", "Missing required parameter: 'messages'.");
        }
        if (!messages.isArray()) {
            throw ApiError.invalid("messages", "'messages' must be an array of message objects, got " + kind(messages) + ".");
        }
        if (messages.isEmpty()) {
            throw ApiError.invalid("messages", "'messages' must contain at least one message.");
        }
        String system = null;
        int first = 0;
        String firstRole = role(messages.get(0), 0);
        if (firstRole.equals("system") || firstRole.equals("developer")) {
            system = content(messages.get(0), 0);
            first = 1;
        }
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = first; i < messages.size(); i++) {
            turns.add(turn(messages.get(i), i));
            String problem = ConversationOrder.problemAt(turns, turns.size() - 1);
            if (problem != null) throw ApiError.invalid("messages[" + i + "].role", "messages[" + i + "] " + problem);
        }
        if (!ConversationOrder.endsForAnAnswer(turns)) {
            throw ApiError.invalid("messages", "The conversation must alternate user and assistant messages and end with a user message"
                    + " or tool results (u/a/u/a/u...), after an optional system message first; got " + turns.size()
                    + " messages after the system message, the last from the assistant.");
        }
        return new ChatCompletionCall(model, stream, includeUsage, List.copyOf(turns), system, ToolRequests.tools(root), sampling(root));
    }

    private static ChatMessage turn(JsonNode message, int index) {
        String role = role(message, index);
        String param = "messages[" + index + "].role";
        switch (role) {
            case "system", "developer" -> throw ApiError.invalid(param,
                    "A " + role + " message is only allowed as the first message (messages[" + index + "]).");
            case "function" -> throw ApiError.unsupported(param,
                    "Role 'function' (OpenAI's deprecated function calling) is not supported: use tools and 'tool' messages.");
            case "user", "assistant", "tool" -> { }
            default -> throw ApiError.invalid(param,
                    "Invalid role '" + role + "' in messages[" + index + "]: use system, user, assistant or tool.");
        }
        if (role.equals("tool")) return ChatMessage.toolResult(ToolRequests.toolCallId(message, index), content(message, index));
        if (role.equals("assistant")) {
            var calls = ToolRequests.calls(message, index);
            if (!calls.isEmpty()) return ChatMessage.toolCalls(present(message, "content") == null ? null : content(message, index), calls);
        } else if (present(message, "tool_calls") != null) {
            throw ApiError.invalid("messages[" + index + "].tool_calls", "Only an assistant message has tool_calls.");
        }
        return new ChatMessage(ToolRequests.role(role), content(message, index));
    }

    private static String role(JsonNode message, int index) {
        if (!message.isObject()) {
            throw ApiError.invalid("messages[" + index + "]", "messages[" + index + "] must be an object with 'role' and 'content', got " + kind(message) + ".");
        }
        JsonNode role = present(message, "role");
        if (role == null) {
            throw ApiError.invalid("messages[" + index + "].role", "Missing required parameter: 'messages[" + index + "].role'.");
        }
        if (!role.isTextual()) {
            throw ApiError.invalid("messages[" + index + "].role", "'messages[" + index + "].role' must be a string, got " + kind(role) + ".");
        }
        return role.asText();
    }

    /** A message's text: a string, or an array of text parts joined as LLaMA-Factory joins them. */
    private static String content(JsonNode message, int index) {
        String param = "messages[" + index + "].content";
        JsonNode content = present(message, "content");
        if (content == null) {
            throw ApiError.invalid(param, "Missing required parameter: '" + param + "'.");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw ApiError.invalid(param, "'" + param + "' must be a string or an array of text parts, got " + kind(content) + ".");
        }
        StringBuilder text = new StringBuilder();
        for (int p = 0; p < content.size(); p++) {
            JsonNode part = content.get(p);
            String partParam = param + "[" + p + "]";
            JsonNode type = part.isObject() ? part.get("type") : null;
            if (type == null || !type.isTextual()) {
                throw ApiError.invalid(partParam, "'" + partParam + "' must be an object with a 'type'.");
            }
            if (!type.asText().equals("text")) {
                throw ApiError.unsupported(partParam, "Content of type '" + type.asText()
                        + "' is not supported: jtune's models take text only (no images, audio, video or files).");
            }
            JsonNode partText = part.get("text");
            if (partText == null || !partText.isTextual()) {
                throw ApiError.invalid(partParam + ".text", "'" + partParam + ".text' must be a string.");
            }
            text.append(partText.asText());
        }
        return text.toString();
    }

    /** Refuses what OpenAI defines but jtune does not do, so a client never gets a silently different answer. */
    private static void refuseUnsupported(JsonNode root) {
        JsonNode n = present(root, "n");
        if (n != null) {
            long count = integer(n, "n");
            if (count != 1) {
                throw count < 1 ? ApiError.invalid("n", "'n' must be at least 1, got " + count + ".")
                        : ApiError.unsupported("n", "n=" + count + " is not supported: jtune generates one choice per request.");
            }
        }
        JsonNode functions = present(root, "functions");
        if (functions != null && !(functions.isArray() && functions.isEmpty())) {
            throw ApiError.unsupported("functions", "'functions' (OpenAI's deprecated function calling) is not supported: use 'tools'.");
        }
        JsonNode logprobs = present(root, "logprobs");
        if (logprobs != null && (!logprobs.isBoolean() || logprobs.asBoolean())) {
            throw ApiError.unsupported("logprobs", "'logprobs' is not supported.");
        }
        if (present(root, "top_logprobs") != null) {
            throw ApiError.unsupported("top_logprobs", "'top_logprobs' is not supported.");
        }
        JsonNode logitBias = present(root, "logit_bias");
        if (logitBias != null && !(logitBias.isObject() && logitBias.isEmpty())) {
            throw ApiError.unsupported("logit_bias", "'logit_bias' is not supported.");
        }
        JsonNode format = present(root, "response_format");
        if (format != null) {
            JsonNode type = format.isObject() ? format.get("type") : null;
            if (type == null || !type.isTextual() || !type.asText().equals("text")) {
                throw ApiError.unsupported("response_format", "Only response_format {\"type\": \"text\"} is supported (no JSON mode or schemas).");
            }
        }
        if (present(root, "audio") != null) {
            throw ApiError.unsupported("audio", "Audio output is not supported.");
        }
    }

    private static SamplingParams sampling(JsonNode root) {
        Long maxTokens = optionalLong(root, "max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens == null) { // the older name; OpenAI's current clients send max_completion_tokens
            maxTokens = optionalLong(root, "max_tokens", 1, Integer.MAX_VALUE);
        }
        Long topK = optionalLong(root, "top_k", 0, Integer.MAX_VALUE);
        return new SamplingParams(
                present(root, "do_sample") == null ? null : optionalBoolean(root, "do_sample", false),
                optionalNumber(root, "temperature", 0, 2),
                optionalNumber(root, "top_p", 0, 1),
                topK == null ? null : topK.intValue(),
                maxTokens == null ? null : maxTokens.intValue(),
                stop(root),
                optionalLong(root, "seed", Long.MIN_VALUE, Long.MAX_VALUE),
                optionalNumber(root, "presence_penalty", -2, 2),
                optionalNumber(root, "frequency_penalty", -2, 2),
                positiveNumber(root, "repetition_penalty"));
    }

    private static List<String> stop(JsonNode root) {
        JsonNode stop = present(root, "stop");
        if (stop == null) {
            return List.of();
        }
        List<String> strings = new ArrayList<>();
        if (stop.isTextual()) {
            strings.add(stop.asText());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw ApiError.invalid("stop", "'stop' must be a string or an array of strings, found " + kind(s) + " in the array.");
                }
                strings.add(s.asText());
            }
        } else {
            throw ApiError.invalid("stop", "'stop' must be a string or an array of strings, got " + kind(stop) + ".");
        }
        if (strings.stream().anyMatch(String::isEmpty)) {
            throw ApiError.invalid("stop", "'stop' strings must not be empty.");
        }
        return strings;
    }

    // --- typed field access: every wrong type is a 400 naming the parameter -------------------------

    /** The field's value, or null when it is absent or JSON null (OpenAI treats both as "not given"). */
    private static JsonNode present(JsonNode object, String name) {
        JsonNode value = object.get(name);
        return value == null || value.isNull() ? null : value;
    }

    private static String requiredString(JsonNode root, String name) {
        JsonNode value = present(root, name);
        if (value == null) {
            throw ApiError.invalid(name, "Missing required parameter: '" + name + "'.");
        }
        if (!value.isTextual()) {
            throw ApiError.invalid(name, "'" + name + "' must be a string, got " + kind(value) + ".");
        }
        return value.asText();
    }

    private static boolean optionalBoolean(JsonNode object, String name, boolean fallback) {
        return optionalBoolean(object, name, name, fallback);
    }

    private static boolean optionalBoolean(JsonNode object, String name, String param, boolean fallback) {
        JsonNode value = present(object, name);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw ApiError.invalid(param, "'" + param + "' must be a boolean, got " + kind(value) + ".");
        }
        return value.asBoolean();
    }

    private static Double optionalNumber(JsonNode root, String name, double min, double max) {
        JsonNode value = present(root, name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber()) {
            throw ApiError.invalid(name, "'" + name + "' must be a number, got " + kind(value) + ".");
        }
        double x = value.asDouble();
        if (!(x >= min && x <= max)) {
            throw ApiError.invalid(name, "'" + name + "' must be between " + plain(min) + " and " + plain(max) + ", got " + value + ".");
        }
        return x;
    }

    private static Double positiveNumber(JsonNode root, String name) {
        Double x = optionalNumber(root, name, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        if (x != null && !(x > 0 && Double.isFinite(x))) {
            throw ApiError.invalid(name, "'" + name + "' must be greater than 0 (1 turns it off), got " + plain(x) + ".");
        }
        return x;
    }

    private static Long optionalLong(JsonNode root, String name, long min, long max) {
        JsonNode value = present(root, name);
        if (value == null) {
            return null;
        }
        long x = integer(value, name);
        if (x < min || x > max) {
            throw ApiError.invalid(name, "'" + name + "' must be " + (max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max)
                    + ", got " + x + ".");
        }
        return x;
    }

    private static long integer(JsonNode value, String name) {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw ApiError.invalid(name, "'" + name + "' must be an integer, got " + kind(value) + (value.isNumber() ? " " + value : "") + ".");
        }
        return value.asLong();
    }

    private static String kind(JsonNode value) {
        return Map.of(
                        "STRING", "a string", "NUMBER", "a number", "BOOLEAN", "a boolean",
                        "ARRAY", "an array", "OBJECT", "an object", "NULL", "null")
                .getOrDefault(value.getNodeType().name(), value.getNodeType().name().toLowerCase());
    }

    private static String plain(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }
}
