package io.jtune.serve.webui;

import io.jtune.JtuneException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bad input from a form: one message per field, so the page can show each next to its input.
 * Collected while checking a whole form, thrown once at the end when any field was wrong.
 */
public final class FieldErrors extends JtuneException {
    private final Map<String, String> byField;

    private FieldErrors(Map<String, String> byField) {
        super(summary(byField));
        this.byField = Map.copyOf(byField);
    }

    /** One bad field. */
    public static FieldErrors of(String field, String message) {
        return new FieldErrors(Map.of(field, message));
    }

    /** The messages by field name (a config key, or a form field such as "config_path"). */
    public Map<String, String> byField() {
        return byField;
    }

    private static String summary(Map<String, String> byField) {
        StringBuilder sb = new StringBuilder();
        byField.forEach((field, message) -> sb.append(sb.isEmpty() ? "" : "; ").append(field).append(": ").append(message));
        return sb.toString();
    }

    /** Gathers the errors of one form; the first message for a field wins. */
    public static final class Collector {
        private final Map<String, String> errors = new LinkedHashMap<>();

        public void add(String field, String message) {
            errors.putIfAbsent(field, message);
        }

        public boolean has(String field) {
            return errors.containsKey(field);
        }

        public boolean isEmpty() {
            return errors.isEmpty();
        }

        /** Throws the collected errors, if any. */
        public void throwIfAny() {
            if (!errors.isEmpty()) throw new FieldErrors(errors);
        }
    }
}
