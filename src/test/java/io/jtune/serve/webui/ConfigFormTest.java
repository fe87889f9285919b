package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server-side checks of the Train form: one message per bad field, from the key registry. */
class ConfigFormTest {
    @TempDir Path work;
    PathGuard guard;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(work.resolve("model"));
        Files.writeString(work.resolve("model/config.json"), "{}");
        Files.createDirectories(work.resolve("data"));
        Files.writeString(work.resolve("data/dataset_info.json"), "{\"shop\": {\"file_name\": \"shop.json\"}, \"more\": {\"file_name\": \"m.json\"}}");
        guard = new PathGuard(work, List.of());
    }

    private Map<String, Object> good() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("model_name_or_path", "model");
        v.put("template", "chatml");
        v.put("dataset_dir", "data");
        v.put("dataset", "shop");
        v.put("learning_rate", "1e-4");
        v.put("max_steps", "10");
        v.put("output_dir", "saves/run");
        return v;
    }

    @Test
    void aGoodFormGivesTheConfigWithAbsolutePaths() throws IOException {
        ConfigForm.Checked c = WebUiForms.TRAIN.check(good(), guard);
        assertEquals(work.toRealPath().resolve("saves/run").toString(), c.config().training().outputDir());
        assertEquals(1e-4, c.config().training().learningRate());
        assertEquals(10, c.config().training().maxSteps());
        assertEquals(List.of("shop"), c.config().data().dataset());
        assertEquals(true, c.allValues().get("do_train"), "the Train form always trains");
        String yaml = ConfigYaml.of(c.allValues());
        assertTrue(yaml.contains("template: chatml\n") && yaml.contains("do_train: true\n"), yaml);
    }

    /** Issue #14: QLoRA from the Train tab, and quantization_bit on every form that loads the model for itself. */
    @Test
    void quantizationKeysAsLlamaBoardOffersThem() {
        Map<String, Object> v = good();
        v.put("quantization_bit", "4");
        v.put("quantization_type", "fp4");
        v.put("double_quantization", false);
        ConfigForm.Checked c = WebUiForms.TRAIN.check(v, guard);
        assertEquals(4, c.config().model().quantizationBit());
        assertEquals("fp4", c.config().model().quantizationType());
        assertEquals(false, c.config().model().doubleQuantization());
        String yaml = ConfigYaml.of(c.allValues());
        assertTrue(yaml.contains("quantization_bit: 4\n") && yaml.contains("quantization_type: fp4\n"), yaml);

        v.put("quantization_bit", "3");
        assertTrue(errors(v).get("quantization_bit").contains("4 or 8"), errors(v).toString());
        v.put("quantization_bit", "8");
        v.put("finetuning_type", "full");
        assertTrue(errors(v).get("quantization_bit").contains("lora"), "QLoRA trains adapters only: " + errors(v));

        for (ConfigForm form : List.of(WebUiForms.CHAT, WebUiForms.EVALUATE, WebUiForms.PREDICT)) {
            assertTrue(form.keys().containsAll(List.of("quantization_bit", "quantization_type", "double_quantization")), form.id());
        }
        assertTrue(!WebUiForms.EXPORT.keys().contains("quantization_bit"), "export merges into the full-precision weights");
        JsonNode bits = field(WebUiForms.TRAIN.describe(), "quantization_bit");
        assertEquals("[8,4]", bits.get("offered").toString(), "none, 8 or 4 bits, as LlamaBoard's list");
        assertTrue(bits.get("default").isNull());
    }

    private Map<String, String> errors(Map<String, Object> v) {
        return assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(v, guard)).byField();
    }

    private static JsonNode field(JsonNode form, String name) {
        for (JsonNode f : form.get("fields")) if (f.get("name").asText().equals(name)) return f;
        throw new AssertionError("no field " + name);
    }

    @Test
    void everyBadFieldGetsItsOwnMessage() {
        Map<String, Object> v = good();
        v.put("learning_rate", "fast");
        v.put("max_steps", "2.5");
        v.put("output_dir", "../../elsewhere");
        v.put("template", "nosuch");
        v.put("dataset", "shop,missing");
        v.put("finetuning_type", "qlora");
        FieldErrors e = assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(v, guard));
        Map<String, String> errors = e.byField();
        assertEquals(List.of("dataset", "finetuning_type", "learning_rate", "max_steps", "output_dir", "template"),
                errors.keySet().stream().sorted().toList(), errors.toString());
        assertTrue(errors.get("learning_rate").contains("fast"), errors.get("learning_rate"));
        assertTrue(errors.get("output_dir").contains("outside the folders"), errors.get("output_dir"));
        assertTrue(errors.get("template").startsWith("unknown template 'nosuch'"), errors.get("template"));
        assertTrue(errors.get("dataset").contains("'missing' is not in dataset_info.json") && errors.get("dataset").contains("known: shop, more"),
                errors.get("dataset"));
        assertTrue(errors.get("finetuning_type").contains("qlora"), errors.get("finetuning_type"));
        assertTrue(!errors.get("max_steps").startsWith("form"), "the origin prefix is dropped: " + errors.get("max_steps"));
    }

    @Test
    void unsupportedChoicesAndForeignKeysAreRefused() {
        Map<String, Object> v = good();
        v.put("finetuning_type", "oft");
        v.put("deepspeed", "ds.json");
        Map<String, String> errors = assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(v, guard)).byField();
        assertTrue(errors.get("finetuning_type").contains("not supported yet"), errors.get("finetuning_type"));
        assertEquals("not a field of the train form", errors.get("deepspeed"));
    }

    @Test
    void modelAndAdapterFoldersMustHoldTheirFiles() throws IOException {
        Files.createDirectories(work.resolve("empty"));
        Map<String, Object> v = new LinkedHashMap<>(Map.of("model_name_or_path", "empty", "adapter_name_or_path", "empty", "template", "chatml"));
        Map<String, String> errors = assertThrows(FieldErrors.class, () -> WebUiForms.CHAT.check(v, guard)).byField();
        assertTrue(errors.get("model_name_or_path").startsWith("no config.json in empty"), errors.toString());
        assertTrue(errors.get("adapter_name_or_path").startsWith("no adapter_config.json in empty"), errors.toString());
        v.put("model_name_or_path", "Qwen/Qwen2.5-0.5B");
        v.remove("adapter_name_or_path");
        assertEquals("Qwen/Qwen2.5-0.5B", WebUiForms.CHAT.check(v, guard).config().model().modelNameOrPath(), "a hub id passes as is");
    }

    /** ppo's reward_model and grpo's reward_funcs name folders and URLs: a page cannot reach past the roots or this machine. */
    @Test
    void rewardFoldersStayUnderTheRootsAndEndpointsOnLoopback() throws IOException {
        Files.createDirectories(work.resolve("saves/rm"));
        Path outside = Files.createTempDirectory("jtune-outside-rm");
        Files.createSymbolicLink(work.resolve("link-out"), outside);
        for (String bad : List.of("/etc", "../elsewhere", "saves/../../elsewhere", "link-out", outside.toString())) {
            Map<String, Object> ppo = good();
            ppo.put("stage", "ppo");
            ppo.put("reward_model", bad);
            Map<String, String> errors = assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(ppo, guard), bad).byField();
            assertTrue(errors.containsKey("reward_model") && errors.size() == 1, bad + ": " + errors);
            Map<String, Object> grpo = good();
            grpo.put("stage", "grpo");
            grpo.put("reward_funcs", "format, " + bad);
            errors = assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(grpo, guard), bad).byField();
            assertTrue(errors.containsKey("reward_funcs") && errors.size() == 1, bad + ": " + errors);
        }
        for (String url : List.of("http://10.0.0.7:8000/v1/score/evaluation", "https://rewards.example.com/score", "http://127.0.0.1.example.com/x")) {
            Map<String, Object> api = good();
            api.put("stage", "ppo");
            api.put("reward_model_type", "api");
            api.put("reward_model", url);
            Map<String, String> errors = assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(api, guard), url).byField();
            assertTrue(errors.get("reward_model").contains("only to this machine"), url + ": " + errors);
            Map<String, Object> grpo = good();
            grpo.put("stage", "grpo");
            grpo.put("reward_funcs", url);
            errors = assertThrows(FieldErrors.class, () -> WebUiForms.TRAIN.check(grpo, guard), url).byField();
            assertTrue(errors.get("reward_funcs").contains("only to this machine"), url + ": " + errors);
        }
        Map<String, Object> ok = good();
        ok.put("stage", "grpo");
        ok.put("reward_funcs", "format, saves/rm, http://127.0.0.1:8000/v1/score/evaluation, http://[::1]:9/x, http://localhost/x");
        ok.put("reward_format_pattern", "x");
        ConfigForm.Checked c = WebUiForms.TRAIN.check(ok, guard);
        assertEquals(List.of("format", work.resolve("saves/rm").toString(), "http://127.0.0.1:8000/v1/score/evaluation", "http://[::1]:9/x",
                "http://localhost/x"), c.config().grpo().rewardFuncs());
        Map<String, Object> ppo = good();
        ppo.put("stage", "ppo");
        ppo.put("reward_model", "saves/rm");
        assertEquals(work.resolve("saves/rm").toString(), WebUiForms.TRAIN.check(ppo, guard).config().ppo().rewardModel());
    }

    @Test
    void blankValuesMeanTheDefault() {
        Map<String, Object> v = good();
        v.put("max_samples", "  ");
        v.put("seed", null);
        ConfigForm.Checked c = WebUiForms.TRAIN.check(v, guard);
        assertEquals(42, c.config().training().seed());
        assertTrue(!c.userValues().containsKey("max_samples"));
    }

    @Test
    void theFormDescriptionComesFromTheKeyRegistry() {
        JsonNode form = WebUiForms.TRAIN.describe();
        JsonNode lr = null, stage = null;
        for (JsonNode f : form.get("fields")) {
            if (f.get("name").asText().equals("learning_rate")) lr = f;
            if (f.get("name").asText().equals("stage")) stage = f;
        }
        assertEquals("float", lr.get("type").asText());
        assertEquals(5e-5, lr.get("default").asDouble());
        assertEquals("choice", stage.get("type").asText());
        assertEquals("sft", stage.get("default").asText());
        assertTrue(stage.get("supported_choices").toString().contains("pt"));
        assertTrue(stage.get("supported_choices").toString().contains("ppo"));
        assertTrue(stage.get("supported_choices").toString().contains("grpo"));
    }
}
