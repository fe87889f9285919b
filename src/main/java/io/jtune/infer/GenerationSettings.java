package io.jtune.infer;

import io.jtune.config.GeneratingArguments;

/**
 * How one generation picks its tokens, fully resolved (no "default" left): the config's generating
 * keys, overridden per request by {@link SamplingParams}.
 *
 * @param doSample          false = greedy (argmax after the repetition penalty, as transformers does)
 * @param temperature       divides the logits when sampling; 0 means greedy
 * @param topP              nucleus mass in (0, 1]; 1 keeps everything
 * @param topK              keep the k most likely tokens (ties at the k-th value kept); 0 = off
 * @param repetitionPenalty transformers' penalty over prompt and reply tokens; 1 = off
 * @param presencePenalty   OpenAI's, over generated tokens; 0 = off
 * @param frequencyPenalty  OpenAI's, over generated tokens; 0 = off
 * @param maxNewTokens      at most this many new tokens (the model's context may end the reply earlier)
 * @param seed              seeds sampling; null draws a fresh seed
 */
public record GenerationSettings(boolean doSample, double temperature, double topP, int topK, double repetitionPenalty,
                                 double presencePenalty, double frequencyPenalty, int maxNewTokens, Long seed) {

    public GenerationSettings {
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP >= 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in [0, 1], got " + topP);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(repetitionPenalty > 0)) throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens, no penalties. */
    public static GenerationSettings greedy(int maxNewTokens) {
        return new GenerationSettings(false, 1.0, 1.0, 0, 1.0, 0, 0, maxNewTokens, null);
    }

    /**
     * The config's generating keys, as LLaMA-Factory passes them to generate(). When max_new_tokens
     * is not > 0, transformers bounds prompt + reply by max_length; jtune bounds the reply alone by
     * max_length (and every reply by the model's context).
     */
    public static GenerationSettings from(GeneratingArguments g) {
        int maxNew = g.limitsNewTokens() ? g.maxNewTokens() : g.maxLength();
        return new GenerationSettings(g.doSample(), g.temperature(), g.topP(), g.topK(), g.repetitionPenalty(), 0, 0,
                Math.max(1, maxNew), null);
    }

    /** These settings with a request's non-null fields applied. */
    public GenerationSettings with(SamplingParams p) {
        return new GenerationSettings(
                p.doSample() != null ? p.doSample() : doSample,
                p.temperature() != null ? p.temperature() : temperature,
                p.topP() != null ? p.topP() : topP,
                p.topK() != null ? p.topK() : topK,
                p.repetitionPenalty() != null ? p.repetitionPenalty() : repetitionPenalty,
                p.presencePenalty() != null ? p.presencePenalty() : presencePenalty,
                p.frequencyPenalty() != null ? p.frequencyPenalty() : frequencyPenalty,
                p.maxTokens() != null ? p.maxTokens() : maxNewTokens,
                p.seed() != null ? p.seed() : seed);
    }

    /** Whether tokens are drawn at random (do_sample with a positive temperature). */
    public boolean samples() {
        return doSample && temperature > 0;
    }

    public GenerationSettings withSeed(Long newSeed) {
        return new GenerationSettings(doSample, temperature, topP, topK, repetitionPenalty, presencePenalty, frequencyPenalty,
                maxNewTokens, newSeed);
    }
}
