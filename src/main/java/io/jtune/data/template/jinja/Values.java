package io.jtune.data.template.jinja;

import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The value model and Python's semantics over it, which Jinja2 inherits. Values are plain Java
 * objects: String, Long (int), Double (float), Boolean, null (None), List (list and tuple), Map
 * (dict, insertion-ordered), {@link Namespace}, {@link Undefined} and {@link JinjaCallable}.
 * Strings are measured, indexed and sliced by code point, as Python's str.
 */
final class Values {
    private Values() {}

    /** A type error or a misuse of a value; the interpreter adds where in the template it happened. */
    static final class TemplateError extends RuntimeException {
        TemplateError(String message) {
            super(message, null, false, false);
        }
    }

    static TemplateError error(String message) {
        return new TemplateError(message);
    }

    /** Python's type name, for messages. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case String s -> "str";
            case Long l -> "int";
            case Integer i -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Namespace n -> "Namespace";
            case Undefined u -> "Undefined";
            case JinjaCallable c -> "function";
            default -> v.getClass().getSimpleName();
        };
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case Long l -> l != 0;
            case Double d -> d != 0;
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Undefined u -> false;
            default -> true;
        };
    }

    /** Python's str(): how {@code {{ value }}}, {@code ~} and the string filter show a value. */
    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    /** Python's repr(): strings quoted, containers with their items' reprs. */
    static String repr(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> stringRepr(s);
            case Boolean b -> b ? "True" : "False";
            case Long l -> l.toString();
            case Double d -> PythonJson.floatRepr(d);
            case Undefined u -> "";
            case List<?> list -> {
                StringBuilder out = new StringBuilder("[");
                for (int i = 0; i < list.size(); i++) out.append(i == 0 ? "" : ", ").append(repr(list.get(i)));
                yield out.append(']').toString();
            }
            case Map<?, ?> map -> {
                StringBuilder out = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                    first = false;
                }
                yield out.append('}').toString();
            }
            case Namespace n -> "<Namespace " + repr(n.attributes) + ">";
            case JinjaCallable c -> "<function>";
            default -> v.toString();
        };
    }

    private static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder out = new StringBuilder().append(quote);
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c == quote) out.append('\\').append((char) c);
                    else if (c < 0x20 || c == 0x7f) out.append(String.format("\\x%02x", c));
                    else out.appendCodePoint(c);
                }
            }
        });
        return out.append(quote).toString();
    }

    // ---------------------------------------------------------------- numbers

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static long asLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue();
    }

    static double asDouble(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
    }

    // ---------------------------------------------------------------- equality and order

    /** Python's ==. */
    static boolean equal(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? asLong(a) == asLong(b) : asDouble(a) == asDouble(b);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        if (a instanceof Undefined && b instanceof Undefined) return true;
        return Objects.equals(a, b) || a == b;
    }

    /** Python's ordering (&lt; on numbers, strings and lists); other pairs are a type error. */
    static int compare(Object a, Object b, String operator) {
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? Long.compare(asLong(a), asLong(b)) : Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) return compare(x.get(i), y.get(i), operator);
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Undefined u) throw error(u.describe());
        if (b instanceof Undefined u) throw error(u.describe());
        throw error("'" + operator + "' is not supported between " + typeName(a) + " and " + typeName(b));
    }

    private static int compareCodePoints(String x, String y) {
        int[] a = x.codePoints().toArray(), b = y.codePoints().toArray();
        for (int i = 0; i < Math.min(a.length, b.length); i++) if (a[i] != b[i]) return Integer.compare(a[i], b[i]);
        return Integer.compare(a.length, b.length);
    }

    /** Python's {@code item in container}. */
    static boolean contains(Object container, Object item) {
        return switch (container) {
            case null -> throw error("'in' needs a string, list or dict on the right, got None");
            case String s -> {
                if (!(item instanceof String needle)) throw error("'in <string>' requires a string on the left, got " + typeName(item));
                yield s.contains(needle);
            }
            case List<?> list -> list.stream().anyMatch(x -> equal(x, item));
            case Map<?, ?> map -> map.containsKey(item);
            case Undefined u -> false;
            default -> throw error("'in' needs a string, list or dict on the right, got " + typeName(container));
        };
    }

    // ---------------------------------------------------------------- sequences

    /** What a for loop walks: a list's items, a dict's keys, a string's characters; undefined is empty. */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case null -> throw error("None is not iterable");
            case List<?> list -> new ArrayList<>(list);
            case Map<?, ?> map -> new ArrayList<>(map.keySet());
            case String s -> characters(s);
            case Undefined u -> List.of();
            default -> throw error("a " + typeName(v) + " is not iterable");
        };
    }

    static List<Object> characters(String s) {
        List<Object> out = new ArrayList<>();
        s.codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
        return out;
    }

    static long length(Object v) {
        return switch (v) {
            case null -> throw error("None has no length");
            case String s -> s.codePointCount(0, s.length());
            case List<?> list -> list.size();
            case Map<?, ?> map -> map.size();
            case Namespace n -> n.attributes.size();
            case Undefined u -> 0;
            default -> throw error("a " + typeName(v) + " has no length");
        };
    }

    /** Python's s[start:stop:step] over a list or (by code point) a string; null parts take their defaults. */
    static Object slice(Object v, Long start, Long stop, Long step) {
        long st = step == null ? 1 : step;
        if (st == 0) throw error("slice step cannot be zero");
        List<Object> items = switch (v) {
            case null -> throw error("None cannot be sliced");
            case List<?> list -> new ArrayList<>(list);
            case String s -> characters(s);
            case Undefined u -> throw error(u.describe());
            default -> throw error("a " + typeName(v) + " cannot be sliced");
        };
        int n = items.size();
        long lo, hi;
        if (st > 0) {
            lo = start == null ? 0 : clampIndex(start, n, 0, n);
            hi = stop == null ? n : clampIndex(stop, n, 0, n);
        } else {
            lo = start == null ? n - 1 : clampIndex(start, n, -1, n - 1);
            hi = stop == null ? -1 : clampIndex(stop, n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) out.add(items.get((int) i));
        if (v instanceof String) {
            StringBuilder text = new StringBuilder();
            for (Object c : out) text.append((String) c);
            return text.toString();
        }
        return out;
    }

    private static long clampIndex(long index, int n, long min, long max) {
        long i = index < 0 ? index + n : index;
        return Math.max(min, Math.min(max, i));
    }

    /** A list's or a string's element at a Python index (negative counts from the end); out of range: undefined. */
    static Object index(Object v, long index) {
        List<Object> items = v instanceof String s ? characters(s) : null;
        int n = items != null ? items.size() : ((List<?>) v).size();
        long i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) return new Undefined("'" + typeName(v) + " object' has no element " + index);
        return items != null ? items.get((int) i) : ((List<?>) v).get((int) i);
    }

}
