package io.jtune.config;

import java.util.List;

/**
 * The model group as jtune uses it.
 *
 * @param modelNameOrPath              the Hugging Face model directory (required)
 * @param adapterNameOrPath            PEFT adapters to load first (empty = none)
 * @param disableGradientCheckpointing LLaMA-Factory turns gradient checkpointing on when training unless this is set
 * @param inferBackend                 always "huggingface" (jtune's engine) once checked
 * @param inferDtype                   always "auto" once checked
 * @param quantizationBit              4 or 8 to quantize the base's decoder linear weights on loading; null for none
 * @param quantizationType             "nf4" or "fp4" (4-bit)
 * @param doubleQuantization           double-quantize the 4-bit block absmax
 */
public record ModelArguments(
        String modelNameOrPath,
        List<String> adapterNameOrPath,
        boolean disableGradientCheckpointing,
        String inferBackend,
        String inferDtype,
        Integer quantizationBit,
        String quantizationType,
        boolean doubleQuantization) {

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
        return new ModelArguments(model, adapters == null ? List.of() : adapters,
                c.bool("disable_gradient_checkpointing"), c.string("infer_backend"), c.string("infer_dtype"),
                bits, c.string("quantization_type"), c.bool("double_quantization"));
    }
}
