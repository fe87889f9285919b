package io.jtune.data.template.jinja;

import static io.jtune.data.template.jinja.Values.asDouble;
import static io.jtune.data.template.jinja.Values.asLong;
import static io.jtune.data.template.jinja.Values.error;
import static io.jtune.data.template.jinja.Values.isIntegral;
import static io.jtune.data.template.jinja.Values.isNumber;
import static io.jtune.data.template.jinja.Values.typeName;

import java.util.ArrayList;
import java.util.List;

/** Python's arithmetic, as Jinja2 applies it: {@code + - * / // % **} and unary signs. */
final class Operators {
    private Operators() {}

    static Object binary(String op, Object a, Object b) {
        if (a instanceof Undefined u) throw error(u.describe());
        if (b instanceof Undefined u) throw error(u.describe());
        if (isNumber(a) && isNumber(b)) return arithmetic(op, a, b);
        switch (op) {
            case "+" -> {
                if (a instanceof String x && b instanceof String y) return x + y;
                if (a instanceof List<?> x && b instanceof List<?> y) {
                    List<Object> out = new ArrayList<>(x);
                    out.addAll(y);
                    return out;
                }
            }
            case "*" -> {
                if (a instanceof String s && isIntegral(b)) return s.repeat((int) Math.max(0, asLong(b)));
                if (b instanceof String s && isIntegral(a)) return s.repeat((int) Math.max(0, asLong(a)));
                if (a instanceof List<?> list && isIntegral(b)) return repeat(list, asLong(b));
            }
            case "%" -> {
                if (a instanceof String) {
                    throw error("string formatting with '%' is not supported by jtune's Jinja subset; use '~' or '+'");
                }
            }
            default -> { }
        }
        throw error("unsupported operand types for " + op + ": " + typeName(a) + " and " + typeName(b));
    }

    private static List<Object> repeat(List<?> list, long times) {
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < times; i++) out.addAll(list);
        return out;
    }

    private static Object arithmetic(String op, Object a, Object b) {
        boolean integral = isIntegral(a) && isIntegral(b);
        switch (op) {
            case "+" -> {
                return integral ? (Object) (asLong(a) + asLong(b)) : (Object) (asDouble(a) + asDouble(b));
            }
            case "-" -> {
                return integral ? (Object) (asLong(a) - asLong(b)) : (Object) (asDouble(a) - asDouble(b));
            }
            case "*" -> {
                return integral ? (Object) (asLong(a) * asLong(b)) : (Object) (asDouble(a) * asDouble(b));
            }
            case "/" -> {
                if (asDouble(b) == 0) throw error("division by zero");
                return asDouble(a) / asDouble(b);
            }
            case "//" -> {
                if (asDouble(b) == 0) throw error("integer division by zero");
                return integral ? (Object) Math.floorDiv(asLong(a), asLong(b)) : (Object) Math.floor(asDouble(a) / asDouble(b));
            }
            case "%" -> {
                if (asDouble(b) == 0) throw error("modulo by zero");
                if (integral) return Math.floorMod(asLong(a), asLong(b));
                double x = asDouble(a), y = asDouble(b);
                double r = x % y;
                return r != 0 && (r < 0) != (y < 0) ? r + y : r;
            }
            case "**" -> {
                if (integral && asLong(b) >= 0) {
                    long result = 1, base = asLong(a);
                    for (long i = 0; i < asLong(b); i++) result *= base;
                    return result;
                }
                return Math.pow(asDouble(a), asDouble(b));
            }
            default -> throw error("unknown operator " + op);
        }
    }

    static Object negate(Object v, boolean minus) {
        if (v instanceof Undefined u) throw error(u.describe());
        if (!isNumber(v)) throw error("bad operand type for unary " + (minus ? "-" : "+") + ": " + typeName(v));
        if (!minus) return isIntegral(v) ? (Object) asLong(v) : v;
        return isIntegral(v) ? (Object) (-asLong(v)) : (Object) (-asDouble(v));
    }
}
