package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.infer.ChatEngine;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.infer.TokenListener;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiSettingsTest {

    @Test
    void defaultsBindLoopbackOnPort8000WithLlamaFactorysModelName() {
        ApiSettings s = ApiSettings.fromEnvironment(Map.of());
        assertEquals(new ApiSettings("127.0.0.1", 8000, null, "gpt-3.5-turbo", 1 << 20, 64, false, 8, List.of()), s);
        assertTrue(s.isLoopbackOnly());
    }

    @Test
    void readsEveryVariable() {
        ApiSettings s = ApiSettings.fromEnvironment(Map.of(
                "API_HOST", "0.0.0.0", "API_PORT", " 9001 ", "API_KEY", "sk-1", "API_MODEL_NAME", "qwen-support",
                "API_MAX_REQUEST_BYTES", "2048", "API_MAX_QUEUE", "0", "API_LOG_PROMPTS", "true", "API_MAX_BATCH", "3"));
        assertEquals(new ApiSettings("0.0.0.0", 9001, "sk-1", "qwen-support", 2048, 0, true, 3, List.of()), s);
        assertFalse(s.isLoopbackOnly());
        assertFalse(s.toString().contains("sk-1"), "the key never appears in logs");
    }

    @Test
    void emptyVariablesTakeTheDefaults() {
        ApiSettings s = ApiSettings.fromEnvironment(Map.of("API_KEY", "", "API_PORT", "", "API_HOST", " "));
        assertNull(s.apiKey());
        assertEquals(8000, s.port());
        assertEquals("127.0.0.1", s.host());
    }

    @Test
    void badValuesNameTheVariableAndWhatIsAllowed() {
        assertEquals("API_PORT=abc is not a port number: 1-65535 (or 0 for any free port)",
                assertThrows(JtuneException.class, () -> ApiSettings.fromEnvironment(Map.of("API_PORT", "abc"))).getMessage());
        assertEquals("API_PORT=70000 is not a port number: 1-65535 (or 0 for any free port)",
                assertThrows(JtuneException.class, () -> ApiSettings.fromEnvironment(Map.of("API_PORT", "70000"))).getMessage());
        assertEquals("API_MAX_QUEUE=-1 is not a number of requests: 0-100000",
                assertThrows(JtuneException.class, () -> ApiSettings.fromEnvironment(Map.of("API_MAX_QUEUE", "-1"))).getMessage());
        assertEquals("API_MAX_REQUEST_BYTES=1MB is not a size in bytes (at least 1)",
                assertThrows(JtuneException.class, () -> ApiSettings.fromEnvironment(Map.of("API_MAX_REQUEST_BYTES", "1MB"))).getMessage());
    }

    @Test
    void aPortInUseIsAClearError() {
        ChatEngine engine = new ChatEngine() {
            @Override
            public String modelName() {
                return "none";
            }

            @Override
            public ChatResult generate(ChatRequest request, TokenListener listener) {
                throw new UnsupportedOperationException();
            }
        };
        try (ApiServer first = ApiServer.start(engine, ApiSettings.defaults().withPort(0))) {
            JtuneException e = assertThrows(JtuneException.class,
                    () -> ApiServer.start(engine, ApiSettings.defaults().withPort(first.port())));
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + first.port()), e.getMessage());
            assertTrue(e.getMessage().contains("API_PORT"), e.getMessage());
        }
    }
}
