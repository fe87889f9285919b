package io.jtune.infer;

import java.util.List;
import java.util.Objects;

/**
 * One reply to generate: the conversation so far, an optional system prompt, how to sample, and
 * the flag that cancels it.
 *
 * <p>The conversation follows LLaMA-Factory's rule (api/chat.py): user and assistant turns alternate,
 * starting and ending with a user turn (u/a/u/a/u), so the model always answers the last user message.
 *
 * @param system the system prompt, or null for the template's default one
 */
public record ChatRequest(List<ChatMessage> messages, String system, SamplingParams sampling, Cancellation cancellation) {

    public ChatRequest {
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(cancellation, "cancellation");
        if (messages.size() % 2 == 0) {
            throw new IllegalArgumentException("a conversation has an odd number of turns (u/a/u/a/u...), got " + messages.size());
        }
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage.Role expected = i % 2 == 0 ? ChatMessage.Role.USER : ChatMessage.Role.ASSISTANT;
            if (messages.get(i).role() != expected) {
                throw new IllegalArgumentException("turn " + i + " must be " + expected.wireName() + ", got " + messages.get(i).role().wireName());
            }
        }
    }

    /** A single user message with the model's default system prompt and sampling. */
    public static ChatRequest of(String userMessage) {
        return new ChatRequest(List.of(ChatMessage.user(userMessage)), null, SamplingParams.DEFAULTS, new Cancellation());
    }
}
