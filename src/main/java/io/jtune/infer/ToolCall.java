package io.jtune.infer;

import java.util.Objects;

/**
 * One function call in an assistant message: what the model asked for (parsed from its reply by
 * the template's tool format) or what a client sends back in the conversation.
 *
 * @param id        the call's id (OpenAI's "call_..."), which a tool result names; may be null in history
 * @param name      the function's name
 * @param arguments the arguments as JSON text, as OpenAI sends them
 */
public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
