package io.jtune.data.template.jinja;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments of one filter, test or method call, read by position or by keyword as Python
 * binds them; an argument given that the callee does not take is an error naming it.
 */
final class Args {
    private static final Object MISSING = new Object();

    private final String callee;
    private final List<Object> positional;
    private final Map<String, Object> keywords;
    private final Set<String> read = new HashSet<>();
    private int maxPosition;

    Args(String callee, List<Object> positional, Map<String, Object> keywords) {
        this.callee = callee;
        this.positional = positional;
        this.keywords = keywords;
    }

    /** Argument {@code index} (from 0) or keyword {@code name}; {@code fallback} when neither is given. */
    Object get(int index, String name, Object fallback) {
        read.add(name);
        maxPosition = Math.max(maxPosition, index + 1);
        if (index < positional.size()) return positional.get(index);
        return keywords.containsKey(name) ? keywords.get(name) : fallback;
    }

    Object required(int index, String name) {
        Object v = get(index, name, MISSING);
        if (v == MISSING) throw Values.error(callee + " needs the argument '" + name + "'");
        return v;
    }

    String string(int index, String name, String fallback) {
        Object v = get(index, name, fallback);
        if (v != null && !(v instanceof String)) throw Values.error(callee + ": '" + name + "' must be a string, got " + Values.typeName(v));
        return (String) v;
    }

    boolean bool(int index, String name, boolean fallback) {
        return Values.truthy(get(index, name, fallback));
    }

    Long integer(int index, String name, Long fallback) {
        Object v = get(index, name, fallback);
        if (v == null) return null;
        if (!Values.isIntegral(v)) throw Values.error(callee + ": '" + name + "' must be an integer, got " + Values.typeName(v));
        return Values.asLong(v);
    }

    /** Fails on arguments nobody read: a misspelt keyword or one argument too many. */
    void done() {
        if (positional.size() > maxPosition) {
            throw Values.error(callee + " takes at most " + maxPosition + " positional argument(s), got " + positional.size());
        }
        for (String k : keywords.keySet()) {
            if (!read.contains(k)) throw Values.error(callee + " has no argument '" + k + "'");
        }
    }
}
