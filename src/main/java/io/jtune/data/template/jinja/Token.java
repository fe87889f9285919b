package io.jtune.data.template.jinja;

/**
 * One lexical unit. {@code text} is the literal text for TEXT, the decoded value for STRING, the
 * name for NAME, the digits for INTEGER/FLOAT and the operator's characters for OPERATOR.
 *
 * @param position character offset in the template source, for error messages
 */
record Token(Kind kind, String text, int position) {

    enum Kind { TEXT, BLOCK_BEGIN, BLOCK_END, VARIABLE_BEGIN, VARIABLE_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, END }

    boolean is(Kind k, String value) {
        return kind == k && text.equals(value);
    }

    boolean isOperator(String op) {
        return is(Kind.OPERATOR, op);
    }

    boolean isName(String name) {
        return is(Kind.NAME, name);
    }

    String describe() {
        return switch (kind) {
            case END -> "the end of the template";
            case BLOCK_END -> "'%}'";
            case VARIABLE_END -> "'}}'";
            case STRING -> "a string";
            case TEXT -> "template text";
            default -> "'" + text + "'";
        };
    }
}
