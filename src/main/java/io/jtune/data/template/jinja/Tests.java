package io.jtune.data.template.jinja;

import static io.jtune.data.template.jinja.Values.error;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja2's tests ({@code x is defined}, {@code x is string}, {@code n is divisibleby 3}...). */
final class Tests {
    private Tests() {}

    static final Set<String> NAMES = Set.of(
            "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string",
            "mapping", "iterable", "sequence", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==",
            "ne", "!=", "lt", "<", "lessthan", "le", "<=", "gt", ">", "greaterthan", "ge", ">=", "in", "lower",
            "upper", "sameas");

    static boolean apply(String name, Object v, List<Object> args) {
        Args a = new Args("test '" + name + "'", args, Map.of());
        boolean result = switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> Values.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "iterable" -> v instanceof List || v instanceof Map || v instanceof String || v instanceof Undefined;
            case "sequence" -> v instanceof List || v instanceof Map || v instanceof String;
            case "callable" -> v instanceof JinjaCallable;
            case "odd", "even" -> {
                if (!Values.isIntegral(v)) throw error("test '" + name + "' needs an integer, got " + Values.typeName(v));
                yield (Values.asLong(v) % 2 != 0) == name.equals("odd");
            }
            case "divisibleby" -> {
                Long n = a.integer(0, "num", null);
                if (n == null || !Values.isIntegral(v)) throw error("test 'divisibleby' needs integers");
                yield Values.asLong(v) % n == 0;
            }
            case "eq", "equalto", "==" -> Values.equal(v, a.required(0, "other"));
            case "ne", "!=" -> !Values.equal(v, a.required(0, "other"));
            case "lt", "<", "lessthan" -> Values.compare(v, a.required(0, "other"), "<") < 0;
            case "le", "<=" -> Values.compare(v, a.required(0, "other"), "<=") <= 0;
            case "gt", ">", "greaterthan" -> Values.compare(v, a.required(0, "other"), ">") > 0;
            case "ge", ">=" -> Values.compare(v, a.required(0, "other"), ">=") >= 0;
            case "in" -> Values.contains(a.required(0, "seq"), v);
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "sameas" -> {
                Object other = a.required(0, "other");
                yield v == other || (v instanceof Boolean && v.equals(other)) || (v == null && other == null);
            }
            default -> throw error("the test '" + name + "' is not supported by jtune's Jinja subset (supported: "
                    + String.join(", ", new java.util.TreeSet<>(NAMES)) + ")");
        };
        a.done();
        return result;
    }
}
