package io.jtune;

/**
 * An error caused by the user's input (a file, a config key, a value) rather than by a bug.
 * Its message is complete and user-facing: the CLI prints it as one line, without a stack trace.
 */
public class JtuneException extends RuntimeException {
    public JtuneException(String message) {
        super(message);
    }

    public JtuneException(String message, Throwable cause) {
        super(message, cause);
    }
}
