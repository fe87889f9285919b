package io.jtune.infer;

/** Why a generation ended. The first three are OpenAI's {@code finish_reason} values. */
public enum FinishReason {
    /** The model ended its turn: an eos id, a template stop word or a request's stop string. */
    STOP("stop"),
    /** The model ended its turn with tool calls, which {@link ChatResult#toolCalls()} holds. */
    TOOL_CALLS("tool_calls"),
    /** The reply reached max_tokens (or the model's context) before the model ended it. */
    LENGTH("length"),
    /** The caller set the request's {@link Cancellation}; nobody is reading the reply any more. */
    CANCELLED("cancelled");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /** The value of OpenAI's {@code finish_reason} field. */
    public String wireName() {
        return wireName;
    }
}
