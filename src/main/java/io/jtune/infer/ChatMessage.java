package io.jtune.infer;

import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation, as the chat template receives it. The system prompt is not a
 * message: it travels in {@link ChatRequest#system()}, as in LLaMA-Factory.
 *
 * @param content    the text; null only for an assistant turn that only calls tools (OpenAI allows it)
 * @param toolCalls  the calls of an assistant turn (LLaMA-Factory's function role); empty otherwise
 * @param toolCallId the call a tool turn answers (LLaMA-Factory's observation role), or null
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId) {

    /** The roles a conversation is made of. */
    public enum Role {
        USER("user"),
        ASSISTANT("assistant"),
        /** A tool's result, sent back after an assistant turn that called it. */
        TOOL("tool");

        private final String wireName;

        Role(String wireName) {
            this.wireName = wireName;
        }

        /** The role's name in OpenAI's and LLaMA-Factory's JSON. */
        public String wireName() {
            return wireName;
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        toolCalls = List.copyOf(toolCalls == null ? List.of() : toolCalls);
        if (content == null && (role != Role.ASSISTANT || toolCalls.isEmpty())) {
            throw new NullPointerException("content (only an assistant turn with tool calls may have none)");
        }
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("only an assistant turn calls tools, not a " + role.wireName() + " turn");
        }
    }

    public ChatMessage(Role role, String content) {
        this(role, content, List.of(), null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }

    /** An assistant turn that calls tools, with the text it said before the calls (or null). */
    public static ChatMessage toolCalls(String content, List<ToolCall> calls) {
        return new ChatMessage(Role.ASSISTANT, content, calls, null);
    }

    /** A tool's result for the call {@code toolCallId} (may be null). */
    public static ChatMessage toolResult(String toolCallId, String content) {
        return new ChatMessage(Role.TOOL, content, List.of(), toolCallId);
    }

    /** The text, "" for a tool-calling assistant turn without text. */
    public String text() {
        return content == null ? "" : content;
    }
}
