package io.jtune.model.arch;

import io.jtune.JtuneException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The families jtune runs, by config.json's model_type. A new family is added to {@link #ALL}. */
public final class Families {
    private Families() {}

    public static final List<ModelFamily> ALL = List.of(Llama.FAMILY, Mistral.FAMILY, Qwen2.FAMILY, Qwen3.FAMILY,
            Gemma.FAMILY, Gemma2.FAMILY, Gemma3.FAMILY, Phi3.FAMILY,
            Glm4.FAMILY, ChatGlm.FAMILY,
            Gpt2.FAMILY, Bloom.FAMILY, Falcon.FAMILY,
            Mixtral.FAMILY, Qwen2Moe.FAMILY, Qwen3Moe.FAMILY);

    private static final Map<String, ModelFamily> BY_MODEL_TYPE =
            ALL.stream().collect(Collectors.toUnmodifiableMap(ModelFamily::modelType, Function.identity()));

    /** The family of a model_type, or null when jtune has none. */
    public static ModelFamily find(String modelType) {
        return modelType == null ? null : BY_MODEL_TYPE.get(modelType);
    }

    /** The family of a config; an unsupported model_type is an error that lists the supported ones. */
    public static ModelFamily of(ModelConfig config) {
        ModelFamily family = find(config.modelType());
        if (family == null) {
            throw new JtuneException("model_type '" + config.modelType() + "' is not supported yet; supported: "
                    + String.join(", ", modelTypes()));
        }
        return family;
    }

    /** Supported model_type values, sorted. */
    public static List<String> modelTypes() {
        return ALL.stream().map(ModelFamily::modelType).sorted().toList();
    }

    /** Supported architectures (config.json's architectures[0]), in declaration order. */
    public static List<String> architectures() {
        return ALL.stream().map(ModelFamily::hfArchitecture).toList();
    }
}
