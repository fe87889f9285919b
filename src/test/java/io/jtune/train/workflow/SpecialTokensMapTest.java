package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecialTokensMapTest {
    @TempDir Path dir;

    @Test
    void specialTokensAreAddedTokenObjectsWhereTheConfigDescribesThem() throws IOException {
        Path tok = Files.createDirectories(dir.resolve("tok"));
        Files.writeString(tok.resolve("tokenizer_config.json"), """
                {"added_tokens_decoder": {"5": {"content": "<|im_end|>", "lstrip": false, "normalized": false, "rstrip": false,
                  "single_word": false, "special": true}},
                 "eos_token": "<|im_end|>", "pad_token": "<pad>", "bos_token": null, "unk_token": {"content": "<unk>", "rstrip": true},
                 "additional_special_tokens": ["<|im_end|>"]}
                """);
        Map<String, Object> map = SpecialTokensMap.of(tok);
        Map<String, Object> imEnd = Map.of("content", "<|im_end|>", "lstrip", false, "normalized", false, "rstrip", false, "single_word", false);
        assertEquals(imEnd, map.get("eos_token"));
        assertEquals("<pad>", map.get("pad_token"), "not described: its text");
        assertFalse(map.containsKey("bos_token"), "null is left out");
        assertEquals(true, ((Map<?, ?>) map.get("unk_token")).get("rstrip"));
        assertEquals(List.of(imEnd), map.get("additional_special_tokens"));

        Path out = Files.createDirectories(dir.resolve("out"));
        SpecialTokensMap.writeIfMissing(out, tok);
        String json = Files.readString(out.resolve("special_tokens_map.json"));
        assertTrue(json.startsWith("{\n  \"additional_special_tokens\": [\n    {\n      \"content\": \"<|im_end|>\","), json);
        assertTrue(json.endsWith("}\n"));
        Files.writeString(out.resolve("special_tokens_map.json"), "{}");
        SpecialTokensMap.writeIfMissing(out, tok);
        assertEquals("{}", Files.readString(out.resolve("special_tokens_map.json")), "an existing map (copied from the base) is kept");
    }

    @Test
    void modelCardHasPeftsFrontMatter() {
        ModelCard card = new ModelCard("sft", "Qwen/Qwen2.5-0.5B", true, "sft", "lora", List.of("identity", "alpaca_en_demo"),
                Map.of("learning_rate", 1e-4), Map.of("eval_loss", 1.25));
        String text = card.text();
        assertTrue(text.startsWith("---\nlibrary_name: peft\nbase_model: Qwen/Qwen2.5-0.5B\ntags:\n- jtune\n- lora\n- sft\n"
                + "model-index:\n- name: sft\n  results: []\n---\n\n# sft\n"), text);
        assertTrue(text.contains("`identity`, `alpaca_en_demo`"), text);
        assertTrue(text.contains("- eval_loss: 1.25\n"), text);
        assertTrue(text.contains("- learning_rate: 0.0001\n"), text);
        ModelCard local = new ModelCard("out dir", "/models/my model: v2", false, "pt", "full", List.of(), Map.of(), Map.of());
        assertTrue(local.text().contains("base_model: \"/models/my model: v2\"\n"), local.text());
        assertTrue(local.text().contains("- name: \"out dir\"\n"), local.text());
    }
}
