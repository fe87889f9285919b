package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatInputTest {
    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text.replace('\'', '"'));
    }

    @Test
    void readsTheConversationSystemAndSampling() throws Exception {
        ChatRequest r = ChatInput.request(json("{'messages': [{'role':'user','content':'hi'},{'role':'assistant','content':'hello'},"
                + "{'role':'user','content':'more'}], 'system': 'be brief', 'sampling': {'temperature': '0.5', 'top_k': 20, 'max_new_tokens': '', 'do_sample': false}}"),
                new Cancellation());
        assertEquals(3, r.messages().size());
        assertEquals("be brief", r.system());
        assertEquals(0.5, r.sampling().temperature());
        assertEquals(20, r.sampling().topK());
        assertNull(r.sampling().maxTokens(), "empty means the model's default");
        assertEquals(false, r.sampling().doSample());
    }

    @Test
    void eachBadSettingIsNamed() throws Exception {
        FieldErrors e = assertThrows(FieldErrors.class, () -> ChatInput.request(json(
                "{'messages': [{'role':'user','content':'hi'}], 'sampling': {'temperature': 3, 'top_p': 'x', 'top_k': 1.5}}"), new Cancellation()));
        assertEquals(Map.of("temperature", "must be between 0 and 2, got 3", "top_p", "'x' is not a number",
                "top_k", "must be a whole number, got 1.5"), e.byField());
    }

    @Test
    void theConversationMustAlternateAndEndWithTheUser() throws Exception {
        assertEquals("write a message first", assertThrows(FieldErrors.class,
                () -> ChatInput.request(json("{'messages': []}"), new Cancellation())).byField().get("message"));
        assertEquals("turn 2 must be from the assistant", assertThrows(FieldErrors.class, () -> ChatInput.request(json(
                "{'messages': [{'role':'user','content':'a'},{'role':'user','content':'b'},{'role':'user','content':'c'}]}"),
                new Cancellation())).byField().get("message"));
        assertEquals("write a message first", assertThrows(FieldErrors.class,
                () -> ChatInput.request(json("{'messages': [{'role':'user','content':'  '}]}"), new Cancellation())).byField().get("message"));
    }
}
