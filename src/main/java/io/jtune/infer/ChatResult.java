package io.jtune.infer;

import java.util.List;
import java.util.Objects;

/**
 * The end of one generation: the reply's text (the concatenation of the streamed pieces), the tool
 * calls parsed from it, why it ended, and the token counts that OpenAI's {@code usage} reports.
 *
 * @param text             the reply, without the tool calls when there are any (the text the model said before them)
 * @param toolCalls        the functions the reply calls, by the template's tool format; empty for a plain answer
 * @param promptTokens     tokens of the prompt the template built (system, history and the new message)
 * @param completionTokens tokens generated, including a final eos / stop-word token when one ended the reply
 */
public record ChatResult(String text, List<ToolCall> toolCalls, FinishReason finishReason, int promptTokens, int completionTokens) {
    public ChatResult {
        Objects.requireNonNull(text, "text");
        toolCalls = List.copyOf(Objects.requireNonNull(toolCalls, "toolCalls"));
        Objects.requireNonNull(finishReason, "finishReason");
        if (promptTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, got " + promptTokens + " and " + completionTokens);
        }
        if (finishReason == FinishReason.TOOL_CALLS && toolCalls.isEmpty()) {
            throw new IllegalArgumentException("finish reason tool_calls needs at least one tool call");
        }
    }

    /** A reply without tool calls. */
    public ChatResult(String text, FinishReason finishReason, int promptTokens, int completionTokens) {
        this(text, List.of(), finishReason, promptTokens, completionTokens);
    }
}
