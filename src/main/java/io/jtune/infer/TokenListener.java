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

    /** A listener for callers that only want the final {@link ChatResult}. */
    TokenListener IGNORE = piece -> {};
}
