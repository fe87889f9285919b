package io.jtune.infer;

/**
 * A flag that stops a generation between two tokens: set by whoever waits for the reply (a client
 * that disconnected, Ctrl-C in the terminal chat), read by the engine before each new token.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
