package io.jtune.infer;

import io.jtune.data.template.FunctionCall;
import io.jtune.data.template.ToolStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Separates a streamed reply into the text a client may see and the tool calls it ends with. Text
 * before the style's call opener (Qwen's "&lt;tool_call&gt;") passes through as it comes, holding
 * back only what could still become the opener; from the opener on everything is held. A style
 * without an opener (the whole answer is a JSON call) holds the whole reply. At the end the held
 * text is parsed as calls, or, when it holds none, released as ordinary text.
 */
final class ToolCallText {
    /** The reply split: the text before the calls (what was streamed), and the calls. */
    record Reply(String content, List<ToolCall> calls) {}

    private final ToolStyle style;
    private final String opener;
    private final StringBuilder all = new StringBuilder();
    private int sent;
    private boolean holding;

    ToolCallText(ToolStyle style) {
        this.style = style;
        this.opener = style.callOpener();
        this.holding = opener == null;
    }

    /** Adds a piece of the reply; returns the text that can be shown now. */
    String accept(String piece) {
        all.append(piece);
        if (holding) return "";
        int at = all.indexOf(opener, sent);
        int end = at >= 0 ? at : all.length() - partialOpenerAtEnd();
        if (at >= 0) holding = true;
        String out = all.substring(sent, end);
        sent = end;
        return out;
    }

    private int partialOpenerAtEnd() {
        for (int len = Math.min(opener.length() - 1, all.length() - sent); len > 0; len--) {
            if (all.substring(all.length() - len).equals(opener.substring(0, len))) return len;
        }
        return 0;
    }

    /** Parses the held text; without calls in it, sends it to {@code listener} as text. */
    Reply finish(TokenListener listener) {
        List<FunctionCall> found = style.extract(all.substring(sent));
        if (found.isEmpty()) {
            String rest = all.substring(sent);
            if (!rest.isEmpty()) listener.onText(rest);
            sent = all.length();
            return new Reply(all.toString(), List.of());
        }
        List<ToolCall> calls = new ArrayList<>();
        for (FunctionCall f : found) calls.add(new ToolCall(newCallId(), f.name(), f.arguments()));
        return new Reply(all.substring(0, sent), calls);
    }

    /** An id in OpenAI's shape ("call_" and 24 characters), unique per call. */
    static String newCallId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }
}
