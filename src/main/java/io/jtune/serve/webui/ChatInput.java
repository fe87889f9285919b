package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Chat tab's request: the conversation (user and assistant turns alternating, ending
 * with the user's), the system prompt and the sampling settings, each checked with a message
 * for its own field.
 */
final class ChatInput {
    static final int MAX_MESSAGE_CHARS = 32_000;

    private ChatInput() {}

    static ChatRequest request(JsonNode body, Cancellation cancellation) {
        FieldErrors.Collector errors = new FieldErrors.Collector();
        List<ChatMessage> messages = new ArrayList<>();
        JsonNode list = body.get("messages");
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add("message", "write a message first");
        } else {
            for (int i = 0; i < list.size(); i++) {
                JsonNode m = list.get(i);
                String role = m.path("role").asText("");
                String content = m.path("content").asText("");
                boolean userTurn = i % 2 == 0;
                if (!role.equals(userTurn ? "user" : "assistant")) {
                    errors.add("message", "turn " + (i + 1) + " must be from the " + (userTurn ? "user" : "assistant"));
                } else if (content.length() > MAX_MESSAGE_CHARS) {
                    errors.add("message", "a message may hold at most " + MAX_MESSAGE_CHARS + " characters");
                } else {
                    messages.add(userTurn ? ChatMessage.user(content) : ChatMessage.assistant(content));
                }
            }
            if (list.size() % 2 == 0) errors.add("message", "the conversation must end with a user message");
            if (!list.isEmpty() && list.get(list.size() - 1).path("content").asText("").isBlank()) errors.add("message", "write a message first");
        }
        String system = body.path("system").asText("");
        JsonNode s = body.path("sampling");
        Double temperature = number(s, "temperature", 0, 2, errors);
        Double topP = number(s, "top_p", 0, 1, errors);
        Double topK = number(s, "top_k", 0, 100_000, errors);
        Double maxTokens = number(s, "max_new_tokens", 1, 32_768, errors);
        Double repetition = number(s, "repetition_penalty", 0.01, 10, errors);
        Boolean doSample = s.has("do_sample") && s.get("do_sample").isBoolean() ? s.get("do_sample").asBoolean() : null;
        errors.throwIfAny();
        SamplingParams sampling = new SamplingParams(doSample, temperature, topP, topK == null ? null : topK.intValue(),
                maxTokens == null ? null : maxTokens.intValue(), List.of(), null, null, null, repetition);
        return new ChatRequest(messages, system.isBlank() ? null : system, sampling, cancellation);
    }

    /** An optional number in [min, max]; an empty field means the model's default. */
    private static Double number(JsonNode sampling, String field, double min, double max, FieldErrors.Collector errors) {
        JsonNode v = sampling.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) return null;
        double d;
        if (v.isNumber()) {
            d = v.asDouble();
        } else {
            try {
                d = Double.parseDouble(v.asText().trim());
            } catch (NumberFormatException e) {
                errors.add(field, "'" + v.asText() + "' is not a number");
                return null;
            }
        }
        if (!(d >= min && d <= max)) {
            errors.add(field, "must be between " + fmt(min) + " and " + fmt(max) + ", got " + fmt(d));
            return null;
        }
        if ((field.equals("top_k") || field.equals("max_new_tokens")) && d != Math.rint(d)) {
            errors.add(field, "must be a whole number, got " + fmt(d));
            return null;
        }
        return d;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
