package io.jtune.tokenizer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.tokenizer.text.ByteLevelAlphabet;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    @Test
    void firstMergeIsTheMostFrequentPair() {
        // "ab" occurs 3x inside words, "cd" 2x: the first merge must be a+b.
        var v = BpeTrainer.train(List.of("ab ab ab cd cd"), 258, 1);
        assertArrayEquals(new String[] {"a", "b"}, v.merges().get(0));
        assertEquals("ab", v.tokens().get(256));
        // Next: " ab" pairs ("Ġ" + "ab" occurs twice) ties with c+d (twice) -> lexicographic: "c" < "Ġ".
        assertArrayEquals(new String[] {"c", "d"}, v.merges().get(1));
    }

    @Test
    void bytesComeFirstAndSpacesUseTheByteLevelAlphabet() {
        var v = BpeTrainer.train(List.of("hello hello hello world"), 300, 2);
        assertEquals(256 + v.merges().size(), v.tokens().size());
        assertEquals("Ġ", v.tokens().get(' ')); // space maps to U+0120 as in GPT-2
        assertTrue(v.tokens().contains("Ġhello"), v.tokens().subList(256, v.tokens().size()).toString());
        assertTrue(!v.tokens().contains("Ġworld"), "a pair seen once is below minFrequency 2");
    }

    @Test
    void everyMergeResultIsInTheVocabularyInOrder() {
        String text = String.join(" ", Collections.nCopies(50, "售后服务 退款 退货 refund returns delivery 123"));
        var v = BpeTrainer.train(List.of(text), 400, 2);
        for (int i = 0; i < v.merges().size(); i++) {
            String[] m = v.merges().get(i);
            assertEquals(m[0] + m[1], v.tokens().get(256 + i));
            assertTrue(v.tokens().indexOf(m[0]) < 256 + i && v.tokens().indexOf(m[1]) < 256 + i);
        }
        assertTrue(v.tokens().contains(ByteLevelAlphabet.encode(" 退款")));
    }

    @Test
    void trainingIsDeterministic() {
        String text = String.join("\n", Collections.nCopies(20, "the quick brown fox, the lazy dog; 快速的狐狸"));
        var a = BpeTrainer.train(List.of(text), 350, 1);
        var b = BpeTrainer.train(List.of(text), 350, 1);
        assertEquals(a.tokens(), b.tokens());
    }

    @Test
    void writesHuggingFaceTokenizerFiles(@TempDir Path dir) throws Exception {
        var v = BpeTrainer.train(List.of("ab ab ab cd cd"), 260, 1);
        ByteLevelTokenizerFiles.write(dir, v, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"),
                "<|im_end|>", "<|endoftext|>", "{{ messages }}", 2048);
        JsonNode tok = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        assertEquals("BPE", tok.at("/model/type").asText());
        assertEquals(256, tok.at("/model/vocab/ab").asInt());
        assertEquals("a", tok.at("/model/merges/0/0").asText());
        assertEquals(v.tokens().size() + 2, tok.at("/added_tokens/2/id").asInt());
        assertEquals("<|im_end|>", tok.at("/added_tokens/2/content").asText());
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("<|im_end|>", cfg.get("eos_token").asText());
        assertEquals("{{ messages }}", cfg.get("chat_template").asText());
    }
}
