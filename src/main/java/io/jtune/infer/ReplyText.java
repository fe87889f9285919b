package io.jtune.infer;

import io.jtune.data.template.ToolStyle;
import java.util.List;

/**
 * Turns a reply's decoded pieces into what the caller sees, keeping the {@link ChatEngine} contract:
 * text that could still become a stop string is held back and a matched stop string ends the reply
 * unsent; with tools offered, a tool call is held back too ({@link ToolCallText}) and parsed at the
 * end. An engine feeds it the decoder's pieces and asks it for the result.
 */
public final class ReplyText {
    private final StopStrings stopStrings;
    private final ToolCallText toolText;     // null: no tools offered
    private final TokenListener listener;     // records what it passes on in shown
    private final StringBuilder shown = new StringBuilder();

    /**
     * @param stops     the request's stop strings and the format's stop words
     * @param toolStyle how the model writes tool calls when tools are offered, else null
     */
    public ReplyText(List<String> stops, ToolStyle toolStyle, TokenListener listener) {
        this.stopStrings = new StopStrings(stops);
        this.toolText = toolStyle == null ? null : new ToolCallText(toolStyle);
        this.listener = piece -> {
            shown.append(piece);
            listener.onText(piece);
        };
    }

    /** Adds a decoded piece; returns true when a stop string matched, so the reply ends here. */
    public boolean accept(String piece) {
        emit(stopStrings.accept(piece));
        return stopStrings.matched();
    }

    /**
     * Ends the reply: {@code tail} is what the decoder still held (unless a stop string matched or it
     * was cancelled), then the held-back text, then the tool calls parsed from it.
     */
    public ChatResult finish(String tail, FinishReason reason, int promptTokens, int completionTokens) {
        if (reason != FinishReason.CANCELLED && !stopStrings.matched()) {
            emit(stopStrings.accept(tail));
            if (!stopStrings.matched()) emit(stopStrings.flush());
        }
        if (toolText != null && reason != FinishReason.CANCELLED) {
            ToolCallText.Reply reply = toolText.finish(listener);
            if (!reply.calls().isEmpty()) {
                return new ChatResult(reply.content(), reply.calls(), FinishReason.TOOL_CALLS, promptTokens, completionTokens);
            }
        }
        return new ChatResult(shown.toString(), reason, promptTokens, completionTokens);
    }

    private void emit(String piece) {
        if (piece.isEmpty()) return;
        if (toolText == null) {
            listener.onText(piece);
            return;
        }
        String visible = toolText.accept(piece);
        if (!visible.isEmpty()) listener.onText(visible);
    }
}
