package io.jtune.infer;

import io.jtune.JtuneException;

/** A request offers tools that the model's prompt format cannot render or whose calls jtune cannot read. */
public final class ToolsUnavailableException extends JtuneException {
    public ToolsUnavailableException(String why) {
        super("tools: " + why + ".");
    }
}
