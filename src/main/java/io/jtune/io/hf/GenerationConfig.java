package io.jtune.io.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model's generation_config.json: the sampling defaults its authors recommend. Keys it leaves out
 * (or the whole file, when absent) take transformers' GenerationConfig defaults.
 *
 * @param eosTokenIds   eos_token_id as a list (an int in the file becomes a one-element list); empty when unset
 * @param maxNewTokens  null when unset
 */
public record GenerationConfig(
        List<Integer> eosTokenIds,
        Integer bosTokenId,
        Integer padTokenId,
        boolean doSample,
        double temperature,
        double topP,
        int topK,
        double repetitionPenalty,
        Integer maxNewTokens) {

    public static final String FILE_NAME = "generation_config.json";

    /** transformers' defaults: greedy, temperature 1.0, top_p 1.0, top_k 50, no repetition penalty. */
    public static GenerationConfig defaults() {
        return new GenerationConfig(List.of(), null, null, false, 1.0, 1.0, 50, 1.0, null);
    }

    /** Reads {@code file}; defaults when it does not exist. */
    public static GenerationConfig read(Path file) {
        if (!Files.exists(file)) return defaults();
        return parse(JsonKeys.readObject(file), file);
    }

    public static GenerationConfig parse(ObjectNode json, Path file) {
        JsonKeys k = new JsonKeys(file, json, "");
        GenerationConfig d = defaults();
        double temperature = k.number("temperature", d.temperature);
        if (temperature < 0) throw k.error("temperature", "must be >= 0, found " + temperature);
        double topP = k.number("top_p", d.topP);
        if (!(topP >= 0 && topP <= 1)) throw k.error("top_p", "must be between 0 and 1, found " + topP);
        int topK = k.integer("top_k", d.topK);
        if (topK < 0) throw k.error("top_k", "must be >= 0, found " + topK);
        double penalty = k.number("repetition_penalty", d.repetitionPenalty);
        if (!(penalty > 0)) throw k.error("repetition_penalty", "must be positive, found " + penalty);
        Integer maxNew = k.integerOrNull("max_new_tokens");
        if (maxNew != null && maxNew < 0) throw k.error("max_new_tokens", "must be >= 0, found " + maxNew);
        return new GenerationConfig(
                k.intOrList("eos_token_id", d.eosTokenIds),
                k.integerOrNull("bos_token_id"),
                k.integerOrNull("pad_token_id"),
                k.bool("do_sample", d.doSample),
                temperature, topP, topK, penalty, maxNew);
    }
}
