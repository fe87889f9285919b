package io.jtune.infer;

import java.util.Objects;

/** One turn of a conversation, as the chat template receives it. */
public record ChatMessage(Role role, String content) {

    /**
     * The roles a conversation is made of. The system prompt is not a message: it travels in
     * {@link ChatRequest#system()}, as in LLaMA-Factory. Tool calls and tool results (LLaMA-Factory's
     * function / observation roles) are not supported yet.
     */
    public enum Role {
        USER("user"),
        ASSISTANT("assistant");

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
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
