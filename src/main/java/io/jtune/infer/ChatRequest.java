package io.jtune.infer;

import java.util.List;
import java.util.Objects;

/**
 * One reply to generate: the conversation so far, an optional system prompt, the tools the model may
 * call, how to sample, and the flag that cancels it. The turns follow {@link ConversationOrder}.
 *
 * @param system the system prompt, or null for the template's default one
 * @param tools  the function definitions the model may call, as a JSON array (OpenAI's "tools"), or null
 */
public record ChatRequest(List<ChatMessage> messages, String system, String tools, SamplingParams sampling,
                          Cancellation cancellation) {

    public ChatRequest {
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(cancellation, "cancellation");
        for (int i = 0; i < messages.size(); i++) {
            String problem = ConversationOrder.problemAt(messages, i);
            if (problem != null) throw new IllegalArgumentException("turn " + i + " " + problem);
        }
        if (!ConversationOrder.endsForAnAnswer(messages)) {
            throw new IllegalArgumentException("a conversation ends with a user turn or tool results (u/a/u/a/u...), got "
                    + (messages.isEmpty() ? "no turns" : "an " + messages.getLast().role().wireName() + " turn last"));
        }
    }

    /** A request without tools. */
    public ChatRequest(List<ChatMessage> messages, String system, SamplingParams sampling, Cancellation cancellation) {
        this(messages, system, null, sampling, cancellation);
    }

    /** A single user message with the model's default system prompt and sampling. */
    public static ChatRequest of(String userMessage) {
        return new ChatRequest(List.of(ChatMessage.user(userMessage)), null, SamplingParams.DEFAULTS, new Cancellation());
    }

    /** Whether the model is offered tools to call. */
    public boolean hasTools() {
        return tools != null;
    }
}
