package io.jtune.io.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's adapter_config.json for a LoRA adapter: the fields jtune reads and writes, with PEFT's
 * names. Written with PEFT's full field set so that {@code PeftModel.from_pretrained} accepts it.
 *
 * @param modulesToSave modules trained fully beside LoRA (LLaMA-Factory's additional_target), or empty
 */
public record LoraAdapterConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules,
                                boolean useRslora, List<String> modulesToSave, String baseModelNameOrPath) {
    public static final String FILE = "adapter_config.json";

    public static LoraAdapterConfig read(Path adapterDir) {
        Path file = adapterDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new JtuneException("adapter_name_or_path: " + adapterDir + " has no " + FILE + " (is it a PEFT adapter folder?)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new JtuneException(file + ": not valid JSON: " + e.getMessage());
        }
        String type = root.path("peft_type").asText("");
        if (!type.equals("LORA")) {
            throw new JtuneException(file + ": peft_type is '" + type + "'; jtune loads LORA adapters only");
        }
        if (root.path("use_dora").asBoolean(false)) throw new JtuneException(file + ": use_dora is not supported by jtune yet");
        if (root.path("fan_in_fan_out").asBoolean(false)) throw new JtuneException(file + ": fan_in_fan_out adapters are not supported");
        if (root.path("rank_pattern").size() > 0 || root.path("alpha_pattern").size() > 0) {
            throw new JtuneException(file + ": rank_pattern / alpha_pattern are not supported by jtune yet");
        }
        if (!root.path("r").canConvertToInt() || root.path("r").asInt() < 1) throw new JtuneException(file + ": r must be a positive integer");
        return new LoraAdapterConfig(
                root.get("r").asInt(),
                root.path("lora_alpha").asDouble(8),
                root.path("lora_dropout").asDouble(0),
                stringList(file, root.path("target_modules"), "target_modules"),
                root.path("use_rslora").asBoolean(false),
                stringList(file, root.path("modules_to_save"), "modules_to_save"),
                root.path("base_model_name_or_path").asText(null));
    }

    public void write(Path adapterDir) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("alpha_pattern", Map.of());
        m.put("auto_mapping", null);
        m.put("base_model_name_or_path", baseModelNameOrPath);
        m.put("bias", "none");
        m.put("fan_in_fan_out", false);
        m.put("inference_mode", true);
        m.put("init_lora_weights", true);
        m.put("layers_pattern", null);
        m.put("layers_to_transform", null);
        m.put("lora_alpha", loraAlpha == Math.rint(loraAlpha) ? (Object) (long) loraAlpha : (Object) loraAlpha);
        m.put("lora_dropout", loraDropout);
        m.put("modules_to_save", modulesToSave.isEmpty() ? null : modulesToSave);
        m.put("peft_type", "LORA");
        m.put("r", r);
        m.put("rank_pattern", Map.of());
        m.put("revision", null);
        m.put("target_modules", targetModules);
        m.put("task_type", "CAUSAL_LM");
        m.put("use_dora", false);
        m.put("use_rslora", useRslora);
        AtomicFiles.writeString(adapterDir.resolve(FILE),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m) + "\n");
    }

    private static List<String> stringList(Path file, JsonNode node, String key) {
        List<String> out = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) return out;
        if (node.isTextual()) {
            // PEFT also accepts one regex string; jtune takes it only as a plain module name.
            out.add(node.asText());
            return out;
        }
        if (!node.isArray()) throw new JtuneException(file + ": " + key + " must be a list of module names");
        node.forEach(n -> out.add(n.asText()));
        return out;
    }
}
