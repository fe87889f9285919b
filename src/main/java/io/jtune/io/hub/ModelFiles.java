package io.jtune.io.hub;

import java.util.List;
import java.util.Set;

/** Which files of a model repository jtune needs: weights in safetensors, configs and tokenizer files. */
public final class ModelFiles {
    private ModelFiles() {}

    private static final Set<String> NEEDED_NAMES = Set.of(
            "config.json",
            "generation_config.json",
            "model.safetensors.index.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
            "chat_template.jinja",
            "chat_template.json",
            "tokenizer.model",
            "vocab.json",
            "merges.txt");

    /** True for a file in the repository root that jtune reads (other formats such as .bin or .gguf are skipped). */
    public static boolean isNeeded(String path) {
        if (path.contains("/")) return false; // sub-folders hold other formats (onnx/, original/, ...)
        return NEEDED_NAMES.contains(path) || path.endsWith(".safetensors");
    }

    public static List<HubFile> select(List<HubFile> all) {
        return all.stream().filter(f -> isNeeded(f.path())).toList();
    }
}
