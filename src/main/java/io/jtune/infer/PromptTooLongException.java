package io.jtune.infer;

import io.jtune.JtuneException;

/** A prompt that fills the model's context and leaves no room for a reply; the API answers it with context_length_exceeded. */
public final class PromptTooLongException extends JtuneException {
    public PromptTooLongException(String message) {
        super(message);
    }
}
