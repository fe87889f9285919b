package io.jtune.infer;

/** Receives a reply while it is generated: each piece is decoded text, never half a character. */
@FunctionalInterface
public interface TokenListener {

    /**
     * Called on the generating thread for each new piece of text (one token or more, never empty).
     * A listener that can no longer deliver text (the client hung up) sets the request's
     * {@link Cancellation} instead of throwing.
     */
    void onText(String piece);

    /**
     * Called once per generated token, as it arrives and before its text (if any is ready) goes to
     * {@link #onText}: for timing (time to first token, inter-token latency). Engines that cannot
     * tell tokens apart may never call it.
     */
    default void onToken() {}

    /** A listener for callers that only want the final {@link ChatResult}. */
    TokenListener IGNORE = piece -> {};
}
