package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebUiSettingsTest {
    @Test
    void loopbackNeedsNoToken() {
        assertTrue(new WebUiSettings("127.0.0.1", 7860, null, Path.of("."), List.of()).isLoopbackOnly());
        assertTrue(new WebUiSettings("localhost", 7860, null, Path.of("."), List.of()).isLoopbackOnly());
        assertTrue(new WebUiSettings("::1", 7860, null, Path.of("."), List.of()).isLoopbackOnly());
    }

    @Test
    void beyondLoopbackOnlyWithAToken() {
        JtuneException e = assertThrows(JtuneException.class, () -> new WebUiSettings("0.0.0.0", 7860, null, Path.of("."), List.of()));
        assertTrue(e.getMessage().startsWith("--host 0.0.0.0 accepts connections from other machines: give --token"), e.getMessage());
        assertFalse(new WebUiSettings("0.0.0.0", 7860, "a-long-enough-secret", Path.of("."), List.of()).isLoopbackOnly());
        assertThrows(JtuneException.class, () -> new WebUiSettings("0.0.0.0", 7860, "short", Path.of("."), List.of()));
        assertThrows(JtuneException.class, () -> new WebUiSettings("127.0.0.1", 70000, null, Path.of("."), List.of()));
    }
}
