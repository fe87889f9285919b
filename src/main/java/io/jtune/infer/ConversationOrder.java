package io.jtune.infer;

import io.jtune.infer.ChatMessage.Role;
import java.util.List;

/**
 * The order of turns a chat request may have: LLaMA-Factory's rule (api/chat.py: user and
 * assistant alternate, starting and ending with a user turn) extended with OpenAI's tool turns:
 * an assistant turn that calls tools is followed by one or more tool results, then by the
 * assistant's next turn; a conversation ends with a user turn or tool results, which the model
 * answers.
 */
public final class ConversationOrder {
    private ConversationOrder() {}

    /**
     * Why turn {@code index} may not follow the turns before it, or null when it may. The text
     * completes "messages[i] ..." (the caller knows how the turn is numbered on its side).
     */
    public static String problemAt(List<ChatMessage> turns, int index) {
        ChatMessage previous = index == 0 ? null : turns.get(index - 1);
        Role role = turns.get(index).role();
        if (previous == null || (previous.role() == Role.ASSISTANT && previous.toolCalls().isEmpty())) {
            return role == Role.USER ? null : alternation(Role.USER, role);
        }
        if (previous.role() == Role.USER) return role == Role.ASSISTANT ? null : alternation(Role.ASSISTANT, role);
        if (previous.role() == Role.ASSISTANT) {
            return role == Role.TOOL ? null
                    : "must be a 'tool' message with the result of the tool calls before it, got '" + role.wireName() + "'.";
        }
        // after a tool result: more results, or the assistant's turn
        return role == Role.TOOL || role == Role.ASSISTANT ? null
                : "must be a 'tool' or 'assistant' message after a tool result, got '" + role.wireName() + "'.";
    }

    private static String alternation(Role expected, Role got) {
        return "must be a '" + expected.wireName() + "' message, got '" + got.wireName()
                + "': messages alternate user and assistant (u/a/u/a/u...) after an optional system message.";
    }

    /** Whether the model can answer now: the last turn is the user's or a tool's result. */
    public static boolean endsForAnAnswer(List<ChatMessage> turns) {
        return !turns.isEmpty() && turns.getLast().role() != Role.ASSISTANT;
    }
}
