package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.tokenizer.text.HfRegex;
import io.jtune.tokenizer.text.PreTokenizer;
import io.jtune.tokenizer.text.SplitBehavior;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GPT-2, Llama 3 and Qwen2/3 split patterns cut every corpus text into the same pieces in
 * java.util.regex (via HfRegex), and with the hand-written WordScanner, as in JavaScript's Unicode regex engine
 * (src/test/node/generate-split-reference.mjs). Needs no fixtures.
 */
class SplitPatternParityTest {

    @Test
    void javaRegexSplitsLikeJavaScript() throws IOException {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/split-reference.json")) {
            root = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (Map.Entry<String, JsonNode> pattern : root.properties()) {
            String source = pattern.getValue().get("pattern").asText();
            PreTokenizer regex = new PreTokenizer.Split(HfRegex.compile(source), SplitBehavior.ISOLATED, false);
            PreTokenizer scanner = PreTokenizer.Split.ofRegex(source, SplitBehavior.ISOLATED, false);
            for (JsonNode entry : pattern.getValue().get("splits")) {
                String text = entry.get("text").asText();
                List<String> expected = new ArrayList<>();
                entry.get("pieces").forEach(p -> expected.add(p.asText()));
                assertEquals(expected, regex.split(List.of(text), true), pattern.getKey() + " regex on " + TokenizerParityTest.quoted(text));
                assertEquals(expected, scanner.split(List.of(text), true), pattern.getKey() + " scanner on " + TokenizerParityTest.quoted(text));
                checked++;
            }
        }
        assertTrue(checked > 900, "only " + checked + " splits checked");
    }
}
