package io.jtune.infer.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * 150 random mixed Chinese/English/emoji pairs scored by LLaMA-Factory's ComputeSimilarity logic
 * with the real nltk and rouge-chinese (src/test/python/gen_similarity_golden.py); every per-sample
 * figure and the means must match to the last bit.
 */
class SimilarityGoldenTest {
    private static final String[] KEYS = {"rouge-1", "rouge-2", "rouge-l", "bleu-4"};

    @Test
    void everyFigureMatchesThePythonReference() throws IOException {
        ObjectMapper json = new ObjectMapper();
        SimilarityMetrics metrics = new SimilarityMetrics();
        JsonNode mean = null;
        int line = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("similarity-golden.jsonl"), StandardCharsets.UTF_8))) {
            String text;
            while ((text = in.readLine()) != null) {
                line++;
                JsonNode row = json.readTree(text);
                if (row.has("mean")) {
                    mean = row.get("mean");
                    continue;
                }
                Map<String, Double> got = metrics.add(row.get("predict").asText(), row.get("label").asText());
                for (String k : KEYS) assertEquals(row.get(k).asDouble(), got.get(k), 0.0, "line " + line + " " + k + ": " + text);
            }
        }
        assertEquals(150, metrics.count());
        Map<String, Double> result = metrics.result();
        for (String k : KEYS) assertEquals(mean.get(k).asDouble(), result.get(k), 0.0, "mean " + k);
    }
}
