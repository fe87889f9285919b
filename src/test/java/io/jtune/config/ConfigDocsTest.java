package io.jtune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigDocsTest {
    /**
     * docs/config.md is generated from the key definitions. Regenerate it with
     * {@code ./jtune config docs --output docs/config.md}, or run this test with -Djtune.regenerateDocs=true.
     */
    @Test
    void docsConfigMdIsUpToDate() throws IOException {
        String expected = ConfigDocs.markdown();
        if (Boolean.getBoolean("jtune.regenerateDocs")) {
            AtomicFiles.writeString(ConfigDocs.DOCS_FILE, expected);
        }
        String actual = Files.exists(ConfigDocs.DOCS_FILE) ? Files.readString(ConfigDocs.DOCS_FILE) : "";
        assertTrue(expected.equals(actual),
                "docs/config.md is stale: run `./jtune config docs --output docs/config.md` and commit the result");
    }

    @Test
    void docsHaveOneTablePerGroupAndARowPerKey() {
        String md = ConfigDocs.markdown();
        for (Group g : Group.values()) {
            assertTrue(md.contains("\n## " + g.id() + "\n"), g.id());
        }
        long rows = md.lines().filter(l -> l.startsWith("| `")).count();
        assertEquals(ConfigKeys.all().size() + EnvironmentVariables.ALL.size(), rows);
        assertTrue(md.contains("| `ALLOW_EXTRA_ARGS` | unset |"), "environment variables are documented too");
        assertTrue(md.contains("| `lora_alpha` | int | `null` | LoRA scale numerator (scale = alpha / rank); default 2 x lora_rank. | yes | supported |"));
        assertTrue(md.contains("| `deepspeed` | str|dict |") || md.contains("| `deepspeed` | str\\|dict |"), "deepspeed row");
    }

    @Test
    void helpTableListsSupportedKeysOfTheGroupsAsked() {
        String help = ConfigDocs.helpTable(false, Group.FINETUNING);
        assertTrue(help.contains("  lora_rank (int, default 8)\n      Rank of the LoRA matrices.\n"), help);
        assertFalse(help.contains("use_galore"), "unsupported keys are left out of --help");
        assertFalse(help.contains("learning_rate"), "other groups are left out");
        assertTrue(ConfigDocs.helpTable(true, Group.FINETUNING).contains("use_galore"));
    }

    @Test
    void formsJsonDescribesEveryKey() throws IOException {
        JsonNode root = new ObjectMapper().readTree(ConfigDocs.formsJson());
        int keys = 0;
        for (JsonNode g : root.get("groups")) {
            keys += g.get("keys").size();
        }
        assertEquals(ConfigKeys.all().size(), keys);
        JsonNode stage = null;
        for (JsonNode k : root.get("groups").get(2).get("keys")) {
            if (k.get("name").asText().equals("stage")) {
                stage = k;
            }
        }
        assertEquals("sft", stage.get("default").asText());
        assertEquals("[\"pt\",\"sft\",\"rm\",\"ppo\",\"dpo\",\"kto\",\"grpo\"]", stage.get("supported_choices").toString());
        assertEquals("choice", stage.get("type").asText());
    }

    /** A key marked supported must reach the code: each one is a component of one of the argument records. */
    @Test
    void everySupportedKeyIsCarriedByAnArgumentRecord() {
        java.util.Set<String> components = new java.util.HashSet<>();
        for (Class<?> record : List.of(ModelArguments.class, DataArguments.class, FinetuningArguments.class,
                TrainingArguments.class, GeneratingArguments.class, ExportArguments.class, GrpoArguments.class, PpoArguments.class)) {
            for (var c : record.getRecordComponents()) {
                components.add(c.getName());
            }
        }
        java.util.Map<String, String> renamed = java.util.Map.of("export_size", "exportSizeGb");
        for (ConfigKey k : ConfigKeys.all()) {
            // a choice with one supported value (logging_strategy: steps) has nothing left to carry
            boolean fixed = !k.choices().isEmpty() && k.supportedChoices().size() == 1;
            if (k.support() == Support.SUPPORTED && !fixed) {
                String camel = renamed.getOrDefault(k.name(), camel(k.name()));
                assertTrue(components.contains(camel), k.name() + " is marked supported but no argument record carries it");
            }
        }
    }

    private static String camel(String snake) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (char ch : snake.toCharArray()) {
            if (ch == '_') {
                upper = true;
            } else {
                sb.append(upper ? Character.toUpperCase(ch) : ch);
                upper = false;
            }
        }
        return sb.toString();
    }
}
