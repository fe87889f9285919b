package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatRequestTest {

    @Test
    void acceptsAlternatingTurnsEndingWithTheUser() {
        ChatRequest r = new ChatRequest(List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.user("c")),
                "sys", SamplingParams.DEFAULTS, new Cancellation());
        assertEquals(3, r.messages().size());
        assertEquals("sys", r.system());
    }

    @Test
    void refusesOtherShapes() {
        assertEquals("a conversation ends with a user turn or tool results (u/a/u/a/u...), got no turns",
                assertThrows(IllegalArgumentException.class, () -> request(List.of())).getMessage());
        assertEquals("a conversation ends with a user turn or tool results (u/a/u/a/u...), got an assistant turn last",
                assertThrows(IllegalArgumentException.class, () -> request(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> request(List.of(ChatMessage.user("a"), ChatMessage.user("b"), ChatMessage.user("c")))).getMessage()
                .startsWith("turn 1 must be a 'assistant' message, got 'user'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> request(List.of(ChatMessage.assistant("a")))).getMessage()
                .startsWith("turn 0 must be a 'user' message, got 'assistant'"));
    }

    @Test
    void toolResultsFollowTheCallingTurn() {
        ChatMessage calls = ChatMessage.toolCalls(null, List.of(new ToolCall("call_1", "f", "{}"), new ToolCall("call_2", "g", "{}")));
        ChatRequest r = request(List.of(ChatMessage.user("a"), calls, ChatMessage.toolResult("call_1", "1"), ChatMessage.toolResult("call_2", "2")));
        assertEquals(4, r.messages().size());
        request(List.of(ChatMessage.user("a"), calls, ChatMessage.toolResult("call_1", "1"), ChatMessage.assistant("done"), ChatMessage.user("b")));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> request(List.of(ChatMessage.user("a"), ChatMessage.toolResult(null, "1")))).getMessage()
                .startsWith("turn 1 must be a 'assistant' message, got 'tool'"));
        assertEquals("turn 2 must be a 'tool' message with the result of the tool calls before it, got 'user'.",
                assertThrows(IllegalArgumentException.class, () -> request(List.of(ChatMessage.user("a"), calls, ChatMessage.user("b")))).getMessage());
        assertEquals("turn 3 must be a 'tool' or 'assistant' message after a tool result, got 'user'.",
                assertThrows(IllegalArgumentException.class,
                        () -> request(List.of(ChatMessage.user("a"), calls, ChatMessage.toolResult(null, "1"), ChatMessage.user("b")))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(ChatMessage.Role.USER, "x", List.of(new ToolCall(null, "f", "{}")), null));
        assertThrows(NullPointerException.class, () -> ChatMessage.assistant(null));
    }

    @Test
    void keepsItsOwnCopyOfTheMessages() {
        List<ChatMessage> messages = new ArrayList<>(List.of(ChatMessage.user("a")));
        ChatRequest r = request(messages);
        messages.add(ChatMessage.assistant("b"));
        assertEquals(1, r.messages().size());
    }

    @Test
    void samplingRangesFollowOpenAi() {
        assertThrows(IllegalArgumentException.class, () -> sampling(2.1, null, null));
        assertThrows(IllegalArgumentException.class, () -> sampling(null, 1.01, null));
        assertThrows(IllegalArgumentException.class, () -> sampling(null, null, 0));
        SamplingParams ok = sampling(0.0, 0.0, 1);
        assertEquals(0.0, ok.temperature());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new SamplingParams(null, null, null, null, null, List.of(), null, 2.5, null, null)).getMessage().contains("presence_penalty"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new SamplingParams(null, null, null, null, null, List.of(""), null, null, null, null)).getMessage().contains("stop"));
    }

    @Test
    void cancellationIsSeenByTheEngine() {
        Cancellation c = new Cancellation();
        ChatRequest r = new ChatRequest(List.of(ChatMessage.user("a")), null, SamplingParams.DEFAULTS, c);
        assertEquals(false, r.cancellation().isCancelled());
        c.cancel();
        assertEquals(true, r.cancellation().isCancelled());
    }

    private static SamplingParams sampling(Double temperature, Double topP, Integer maxTokens) {
        return new SamplingParams(null, temperature, topP, null, maxTokens, List.of(), null, null, null, null);
    }

    private static ChatRequest request(List<ChatMessage> messages) {
        return new ChatRequest(messages, null, SamplingParams.DEFAULTS, new Cancellation());
    }
}
