package io.jtune.infer;

import java.util.Objects;

/**
 * The end of one generation: the whole reply (the concatenation of the streamed pieces), why it
 * ended, and the token counts that OpenAI's {@code usage} reports.
 *
 * @param promptTokens tokens of the prompt the template built (system, history and the new message)
 * @param completionTokens tokens generated, including a final eos / stop-word token when one ended the reply
 */
public record ChatResult(String text, FinishReason finishReason, int promptTokens, int completionTokens) {
    public ChatResult {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
        if (promptTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, got " + promptTokens + " and " + completionTokens);
        }
    }
}
