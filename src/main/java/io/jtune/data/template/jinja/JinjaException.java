package io.jtune.data.template.jinja;

import io.jtune.JtuneException;

/**
 * A chat template that cannot be compiled or rendered: a syntax error, a construct outside the
 * supported subset, a type error, or the template's own {@code raise_exception}. The message names
 * the template, the line and column, and what went wrong.
 */
public final class JinjaException extends JtuneException {
    private final boolean raisedByTemplate;

    JinjaException(String message, boolean raisedByTemplate) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
    }

    /** An error at {@code position} in {@code source}, located as "line L, column C". */
    static JinjaException at(Source source, int position, String what) {
        return new JinjaException(source.name() + " " + source.locate(position) + ": " + what, false);
    }

    /** The template's own {@code raise_exception(message)}: the conversation breaks one of its rules. */
    static JinjaException raised(Source source, String message) {
        return new JinjaException(source.name() + " refused the conversation: " + message, true);
    }

    /** Whether the template itself refused the input (raise_exception) rather than failing to run. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
