package io.jtune.data;

import java.util.Objects;

/** One turn of a conversation in the aligned format. */
public record Message(Role role, String content) {
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static Message user(String content) {
        return new Message(Role.USER, content);
    }

    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }

    public Message withContent(String newContent) {
        return new Message(role, newContent);
    }
}
