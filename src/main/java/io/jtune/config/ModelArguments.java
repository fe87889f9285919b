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
 */
public record ModelArguments(
        String modelNameOrPath,
        List<String> adapterNameOrPath,
        boolean disableGradientCheckpointing,
        String inferBackend,
        String inferDtype) {

    static ModelArguments from(JtuneConfig c) {
        String model = c.string("model_name_or_path");
        if (model == null || model.isBlank()) {
            throw c.error("model_name_or_path", "is required: the path of a Hugging Face model directory");
        }
        List<String> adapters = c.list("adapter_name_or_path");
        return new ModelArguments(model, adapters == null ? List.of() : adapters,
                c.bool("disable_gradient_checkpointing"), c.string("infer_backend"), c.string("infer_dtype"));
    }
}
