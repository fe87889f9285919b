package io.jtune.data.template.jinja;

/**
 * Jinja2's default Undefined: what a missing variable, key or attribute evaluates to. It renders
 * as nothing, is false, iterates as empty and has length 0, but any other use (an attribute of it,
 * arithmetic, calling it) is an error that names what was missing.
 *
 * @param what the missing thing, e.g. "'tools'" or "'dict object' has no attribute 'content'"
 */
record Undefined(String what) {
    String describe() {
        return what.contains(" has no ") ? what : what + " is undefined";
    }
}
