package io.jtune.io.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jtune.JtuneException;
import io.jtune.model.FinetuneSpec;
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
 * @param modulesToSave   modules trained fully beside LoRA (LLaMA-Factory's additional_target), or empty
 * @param useDora         use_dora: the adapter has a lora_magnitude_vector per module
 * @param initLoraWeights PEFT's init_lora_weights: "true", or "pissa" / "pissa_niter_K" for a PiSSA
 *                        adapter, whose base PEFT (and jtune) replaces by the residual when loading it
 */
public record LoraAdapterConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules,
                                boolean useRslora, List<String> modulesToSave, String baseModelNameOrPath,
                                boolean useDora, String initLoraWeights) {
    public static final String FILE = "adapter_config.json";

    /** A plain LoRA adapter's config (no DoRA, PEFT's default initialisation). */
    public LoraAdapterConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules,
                             boolean useRslora, List<String> modulesToSave, String baseModelNameOrPath) {
        this(r, loraAlpha, loraDropout, targetModules, useRslora, modulesToSave, baseModelNameOrPath, false, "true");
    }

    /** The same config with use_dora and init_lora_weights as given. */
    public LoraAdapterConfig withMethod(boolean dora, String init) {
        return new LoraAdapterConfig(r, loraAlpha, loraDropout, targetModules, useRslora, modulesToSave, baseModelNameOrPath, dora, init);
    }

    /** The same config with other target modules (the ones that actually carry an adapter) and base model path. */
    public LoraAdapterConfig withTargets(List<String> targets, String baseModel) {
        return new LoraAdapterConfig(r, loraAlpha, loraDropout, targets, useRslora, modulesToSave, baseModel, useDora, initLoraWeights);
    }

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
        // fan_in_fan_out only says how PEFT multiplies a Conv1D base weight (GPT-2's, stored [in, out]);
        // lora_A [r, in] and lora_B [out, r] are laid out the same either way, so it is read and ignored.
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
                root.path("base_model_name_or_path").asText(null),
                root.path("use_dora").asBoolean(false),
                initLoraWeights(file, root.path("init_lora_weights")));
    }

    /** init_lora_weights as text: true/false, "pissa", "pissa_niter_K"; other schemes only shape a new adapter, which jtune loads trained. */
    private static String initLoraWeights(Path file, JsonNode node) {
        if (node.isMissingNode() || node.isNull() || node.isBoolean()) return node.isBoolean() && !node.asBoolean() ? "false" : "true";
        String value = node.asText();
        if (value.startsWith("pissa") && FinetuneSpec.Pissa.fromInitLoraWeights(value) == null) {
            throw new JtuneException(file + ": init_lora_weights '" + value + "' is not 'pissa' or 'pissa_niter_K'");
        }
        if (value.startsWith("corda") || value.startsWith("olora") || value.startsWith("eva") || value.equals("loftq")) {
            // these, like PiSSA, change the base weights when an adapter is created or loaded
            throw new JtuneException(file + ": init_lora_weights '" + value + "' is not supported by jtune (true and PiSSA are)");
        }
        return value;
    }

    public void write(Path adapterDir) throws IOException {
        write(adapterDir, false);
    }

    /**
     * Writes adapter_config.json; {@code fanInFanOut} true for a model whose adapted layers are Conv1D
     * (GPT-2), as PEFT sets and saves it for them.
     */
    public void write(Path adapterDir, boolean fanInFanOut) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("alpha_pattern", Map.of());
        m.put("auto_mapping", null);
        m.put("base_model_name_or_path", baseModelNameOrPath);
        m.put("bias", "none");
        m.put("fan_in_fan_out", fanInFanOut);
        m.put("inference_mode", true);
        m.put("init_lora_weights", initLoraWeights.equals("true") ? (Object) true
                : initLoraWeights.equals("false") ? (Object) false : initLoraWeights);
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
        m.put("use_dora", useDora);
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
