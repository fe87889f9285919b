package io.jtune.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuickstartTest {
    @Test
    void policyParagraphsLeaveOutTheHouseStyle() throws Exception {
        List<String> paragraphs = Quickstart.policyParagraphs(Files.readString(Path.of("data/support_shop.json")));
        assertTrue(paragraphs.size() > 50, "paragraphs: " + paragraphs.size());
        for (String p : paragraphs) {
            assertFalse(p.contains("I'm sorry") || p.contains("很抱歉"), p);
            assertFalse(p.contains("Is there anything else I can help you with?") || p.contains("请问还有什么可以帮您的吗"), p);
        }
        assertEquals(paragraphs, Quickstart.policyParagraphs(Files.readString(Path.of("data/support_shop.json"))), "deterministic");
    }
}
