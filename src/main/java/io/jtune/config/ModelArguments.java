package io.jtune.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The model group as jtune uses it.
 *
 * @param modelNameOrPath              the Hugging Face model directory (required)
 * @param adapterNameOrPath            PEFT adapters to load first (empty = none)
 * @param loraModules                  adapters served by name over the base (lora_modules, NAME=PATH), in the order given
 * @param disableGradientCheckpointing LLaMA-Factory turns gradient checkpointing on when training unless this is set
 * @param inferBackend                 always "huggingface" (jtune's engine) once checked
 * @param inferDtype                   always "auto" once checked
 * @param quantizationBit              4 or 8 to quantize the base's decoder linear weights on loading; null for none
 * @param quantizationType             "nf4" or "fp4" (4-bit)
 * @param doubleQuantization           double-quantize the 4-bit block absmax
 * @param moeAuxLossCoef               the router aux loss's coefficient for a Mixture-of-Experts model; null or 0: none
 */
public record ModelArguments(
        String modelNameOrPath,
        List<String> adapterNameOrPath,
        Map<String, String> loraModules,
        boolean disableGradientCheckpointing,
        String inferBackend,
        String inferDtype,
        Integer quantizationBit,
        String quantizationType,
        boolean doubleQuantization,
        Double moeAuxLossCoef) {

    /** True when the base's weights are quantized on loading. */
    public boolean quantized() {
        return quantizationBit != null;
    }

    static ModelArguments from(JtuneConfig c) {
        String model = c.string("model_name_or_path");
        if (model == null || model.isBlank()) {
            throw c.error("model_name_or_path", "is required: the path of a Hugging Face model directory");
        }
        List<String> adapters = c.list("adapter_name_or_path");
        Integer bits = c.nullableInteger("quantization_bit");
        if (bits != null && bits != 4 && bits != 8) {
            // transformers' bitsandbytes path: "Bitsandbytes only accepts 4-bit or 8-bit quantization."
            throw c.error("quantization_bit", bits + " is not supported: bitsandbytes quantization takes 4 or 8 bits");
        }
        return new ModelArguments(model, adapters == null ? List.of() : adapters, loraModules(c),
                c.bool("disable_gradient_checkpointing"), c.string("infer_backend"), c.string("infer_dtype"),
                bits, c.string("quantization_type"), c.bool("double_quantization"), moeAuxLossCoef(c));
    }

    private static Double moeAuxLossCoef(JtuneConfig c) {
        Double coef = c.nullableReal("moe_aux_loss_coef");
        if (coef != null && !(coef >= 0)) throw c.error("moe_aux_loss_coef", "must be a non-negative number, found " + coef);
        return coef;
    }

    /** An adapter's name as a request's model field and a URL path segment carry it. */
    private static final Pattern ADAPTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");

    /** Whether {@code name} can name a served adapter: letters, digits, '.', '_', ':', '-', starting with a letter or digit. */
    public static boolean isAdapterName(String name) {
        return name != null && ADAPTER_NAME.matcher(name).matches();
    }

    private static Map<String, String> loraModules(JtuneConfig c) {
        List<String> entries = c.list("lora_modules");
        Map<String, String> modules = new LinkedHashMap<>();
        if (entries == null) return modules;
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(0, eq).strip();
            String path = eq < 0 ? "" : entry.substring(eq + 1).strip();
            if (name.isEmpty() || path.isEmpty()) {
                throw c.error("lora_modules", "'" + entry + "' is not NAME=PATH: give each adapter as its name, '=' and its folder,"
                        + " e.g. lora_modules=presales=saves/presales,aftersales=saves/aftersales");
            }
            if (!isAdapterName(name)) {
                throw c.error("lora_modules", "adapter name '" + name + "' may hold only letters, digits, '.', '_', ':' and '-',"
                        + " starting with a letter or digit");
            }
            if (modules.put(name, path) != null) {
                throw c.error("lora_modules", "the name '" + name + "' is given twice: each adapter needs its own name");
            }
        }
        return java.util.Collections.unmodifiableMap(modules);
    }
}
