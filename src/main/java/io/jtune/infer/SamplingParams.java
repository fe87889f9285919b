package io.jtune.infer;

import java.util.List;
import java.util.Objects;

/**
 * How to pick tokens for one request. A null field means "the model's default": the generation
 * keys of the config (temperature, top_p, top_k, max_new_tokens, repetition_penalty), which start
 * from the model's generation_config.json, as in LLaMA-Factory.
 *
 * @param doSample false for greedy decoding (LLaMA-Factory's do_sample); a temperature of 0 means greedy too
 * @param temperature in [0, 2] (OpenAI's range)
 * @param topP nucleus sampling mass in [0, 1]; 0 keeps only the most likely token
 * @param topK keep the k most likely tokens; 0 turns it off (not in OpenAI's schema; jtune and vLLM read it as an extra field)
 * @param maxTokens at most this many new tokens (OpenAI's max_completion_tokens / max_tokens, LLaMA-Factory's max_new_tokens)
 * @param stop strings that end the reply and are not part of it (empty: none besides the template's)
 * @param seed makes sampling reproducible for the same request
 * @param presencePenalty OpenAI's penalty in [-2, 2]: subtracted once from the logit of every token already generated
 * @param frequencyPenalty OpenAI's penalty in [-2, 2]: subtracted from a token's logit once per time it was generated
 * @param repetitionPenalty transformers' multiplicative penalty (> 0, 1 = off) over prompt and reply tokens;
 *     not in OpenAI's schema, read as an extra field (LLaMA-Factory once fed presence_penalty into it;
 *     its later fix, issue #9213, keeps the two apart, and so does jtune)
 */
public record SamplingParams(
        Boolean doSample,
        Double temperature,
        Double topP,
        Integer topK,
        Integer maxTokens,
        List<String> stop,
        Long seed,
        Double presencePenalty,
        Double frequencyPenalty,
        Double repetitionPenalty) {

    /** Every field at the model's default. */
    public static final SamplingParams DEFAULTS =
            new SamplingParams(null, null, null, null, null, List.of(), null, null, null, null);

    public SamplingParams {
        stop = List.copyOf(Objects.requireNonNull(stop, "stop"));
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException("temperature must be in [0, 2], got " + temperature);
        }
        if (topP != null && !(topP >= 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in [0, 1], got " + topP);
        }
        if (topK != null && topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("stop strings must not be empty");
        }
        checkPenalty("presence_penalty", presencePenalty);
        checkPenalty("frequency_penalty", frequencyPenalty);
        if (repetitionPenalty != null && !(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        }
    }

    private static void checkPenalty(String name, Double value) {
        if (value != null && !(value >= -2 && value <= 2)) {
            throw new IllegalArgumentException(name + " must be in [-2, 2], got " + value);
        }
    }
}
