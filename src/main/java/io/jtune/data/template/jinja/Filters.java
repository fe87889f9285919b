package io.jtune.data.template.jinja;

import static io.jtune.data.template.jinja.Values.error;
import static io.jtune.data.template.jinja.Values.str;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The Jinja2 filters chat templates use, with Jinja2's arguments and semantics. */
final class Filters {
    private Filters() {}

    static final Set<String> NAMES = Set.of(
            "abs", "capitalize", "count", "d", "default", "dictsort", "first", "float", "indent", "int", "items",
            "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
            "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim",
            "unique", "upper");

    static Object apply(String name, Object v, List<Object> positional, Map<String, Object> keywords) {
        Args a = new Args("filter '" + name + "'", positional, keywords);
        Object result = switch (name) {
            case "safe" -> v;
            case "string" -> str(v);
            case "trim" -> Methods.strip(str(v), a.string(0, "chars", null), true, true);
            case "upper" -> str(v).toUpperCase(java.util.Locale.ROOT);
            case "lower" -> str(v).toLowerCase(java.util.Locale.ROOT);
            case "title" -> Methods.title(str(v));
            case "capitalize" -> {
                String s = str(v);
                yield s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            }
            case "replace" -> Methods.replace(str(v), str(a.required(0, "old")), str(a.required(1, "new")),
                    a.integer(2, "count", -1L));
            case "length", "count" -> Values.length(v);
            case "tojson" -> {
                Long indent = a.integer(0, "indent", null);
                boolean ascii = a.bool(1, "ensure_ascii", false);
                Object separators = a.get(2, "separators", null);
                boolean sortKeys = a.bool(3, "sort_keys", false);
                String item = null, key = null;
                if (separators != null) {
                    if (!(separators instanceof List<?> pair) || pair.size() != 2
                            || !(pair.get(0) instanceof String) || !(pair.get(1) instanceof String)) {
                        throw error("filter 'tojson': separators must be a pair of strings");
                    }
                    item = (String) pair.get(0);
                    key = (String) pair.get(1);
                }
                yield new JsonText(indent == null ? null : indent.intValue(), ascii, sortKeys, item, key).dumps(v);
            }
            case "items" -> {
                if (v instanceof Undefined) yield new ArrayList<>();
                if (!(v instanceof Map<?, ?> map)) throw error("filter 'items' needs a dict, got " + Values.typeName(v));
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : map.entrySet()) out.add(java.util.Arrays.asList(e.getKey(), e.getValue()));
                yield out;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> map)) throw error("filter 'dictsort' needs a dict, got " + Values.typeName(v));
                boolean caseSensitive = a.bool(0, "case_sensitive", false);
                String by = a.string(1, "by", "key");
                boolean reverse = a.bool(2, "reverse", false);
                int index = by.equals("value") ? 1 : 0;
                List<Object> pairs = new ArrayList<>();
                for (Map.Entry<?, ?> e : map.entrySet()) pairs.add(java.util.Arrays.asList(e.getKey(), e.getValue()));
                pairs.sort((x, y) -> sortKey(((List<?>) x).get(index), caseSensitive)
                        .compareTo(sortKey(((List<?>) y).get(index), caseSensitive)));
                if (reverse) Collections.reverse(pairs);
                yield pairs;
            }
            case "default", "d" -> {
                Object fallback = a.get(0, "default_value", "");
                boolean asBoolean = a.bool(1, "boolean", false);
                yield v instanceof Undefined || (asBoolean && !Values.truthy(v)) ? fallback : v;
            }
            case "first" -> {
                List<Object> items = Values.iterate(v);
                yield items.isEmpty() ? new Undefined("'" + Values.typeName(v) + " object' has no first item") : items.getFirst();
            }
            case "last" -> {
                List<Object> items = Values.iterate(v);
                yield items.isEmpty() ? new Undefined("'" + Values.typeName(v) + " object' has no last item") : items.getLast();
            }
            case "list" -> Values.iterate(v);
            case "reverse" -> {
                if (v instanceof String s) yield new StringBuilder(s).reverse().toString();
                List<Object> items = Values.iterate(v);
                Collections.reverse(items);
                yield items;
            }
            case "join" -> {
                String separator = a.string(0, "d", "");
                Object attribute = a.get(1, "attribute", null);
                StringBuilder out = new StringBuilder();
                List<Object> items = Values.iterate(v);
                for (int i = 0; i < items.size(); i++) {
                    Object item = attribute == null ? items.get(i) : Interpreter.item(items.get(i), attribute);
                    out.append(i == 0 ? "" : separator).append(str(item));
                }
                yield out.toString();
            }
            case "unique" -> {
                boolean caseSensitive = a.bool(0, "case_sensitive", false);
                List<Object> out = new ArrayList<>();
                List<Object> seen = new ArrayList<>();
                for (Object item : Values.iterate(v)) {
                    Object key = !caseSensitive && item instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : item;
                    if (seen.stream().noneMatch(x -> Values.equal(x, key))) {
                        seen.add(key);
                        out.add(item);
                    }
                }
                yield out;
            }
            case "sort" -> {
                boolean reverse = a.bool(0, "reverse", false);
                boolean caseSensitive = a.bool(1, "case_sensitive", false);
                Object attribute = a.get(2, "attribute", null);
                List<Object> items = Values.iterate(v);
                Comparator<Object> order = (x, y) -> Values.compare(
                        foldCase(attribute == null ? x : Interpreter.item(x, attribute), caseSensitive),
                        foldCase(attribute == null ? y : Interpreter.item(y, attribute), caseSensitive), "<");
                items.sort(reverse ? order.reversed() : order);
                yield items;
            }
            case "min", "max" -> {
                boolean caseSensitive = a.bool(0, "case_sensitive", false);
                Object attribute = a.get(1, "attribute", null);
                List<Object> items = Values.iterate(v);
                if (items.isEmpty()) yield new Undefined("'" + Values.typeName(v) + " object' has no " + name + " (it is empty)");
                Object best = items.getFirst();
                for (Object item : items) {
                    int c = Values.compare(foldCase(attribute == null ? item : Interpreter.item(item, attribute), caseSensitive),
                            foldCase(attribute == null ? best : Interpreter.item(best, attribute), caseSensitive), "<");
                    if (name.equals("min") ? c < 0 : c > 0) best = item;
                }
                yield best;
            }
            case "sum" -> {
                Object attribute = a.get(0, "attribute", null);
                Object total = a.get(1, "start", 0L);
                for (Object item : Values.iterate(v)) {
                    total = Operators.binary("+", total, attribute == null ? item : Interpreter.item(item, attribute));
                }
                yield total;
            }
            case "abs" -> {
                if (!Values.isNumber(v)) throw error("filter 'abs' needs a number, got " + Values.typeName(v));
                yield Values.isIntegral(v) ? (Object) Math.abs(Values.asLong(v)) : (Object) Math.abs(Values.asDouble(v));
            }
            case "int" -> toInt(v, a.get(0, "default", 0L));
            case "float" -> toFloat(v, a.get(0, "default", 0.0));
            case "round" -> {
                long precision = a.integer(0, "precision", 0L);
                String method = a.string(1, "method", "common");
                if (!Values.isNumber(v)) throw error("filter 'round' needs a number, got " + Values.typeName(v));
                RoundingMode mode = switch (method) {
                    case "common" -> RoundingMode.HALF_UP;
                    case "ceil" -> RoundingMode.CEILING;
                    case "floor" -> RoundingMode.FLOOR;
                    default -> throw error("filter 'round': method must be common, ceil or floor");
                };
                yield new BigDecimal(Values.asDouble(v)).setScale((int) precision, mode).doubleValue();
            }
            case "indent" -> indent(str(v), a.get(0, "width", 4L), a.bool(1, "first", false), a.bool(2, "blank", false));
            case "map" -> map(v, positional, keywords);
            case "select", "reject" -> {
                List<Object> out = new ArrayList<>();
                for (Object item : Values.iterate(v)) {
                    boolean pass = positional.isEmpty()
                            ? Values.truthy(item)
                            : Tests.apply(testName(positional.get(0)), item, positional.subList(1, positional.size()));
                    if (pass == name.equals("select")) out.add(item);
                }
                yield out;
            }
            case "selectattr", "rejectattr" -> {
                if (positional.isEmpty()) throw error("filter '" + name + "' needs an attribute name");
                Object attribute = positional.get(0);
                List<Object> out = new ArrayList<>();
                for (Object item : Values.iterate(v)) {
                    Object value = Interpreter.item(item, attribute);
                    boolean pass = positional.size() < 2
                            ? Values.truthy(value)
                            : Tests.apply(testName(positional.get(1)), value, positional.subList(2, positional.size()));
                    if (pass == name.equals("selectattr")) out.add(item);
                }
                yield out;
            }
            default -> throw error("the filter '" + name + "' is not supported by jtune's Jinja subset (supported: "
                    + String.join(", ", new TreeSet<>(NAMES)) + ")");
        };
        if (!Set.of("map", "select", "reject", "selectattr", "rejectattr").contains(name)) a.done();
        return result;
    }

    private static String testName(Object v) {
        if (!(v instanceof String s)) throw error("a test name must be a string, got " + Values.typeName(v));
        return s;
    }

    private static Object foldCase(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : v;
    }

    private static String sortKey(Object v, boolean caseSensitive) {
        String s = str(v);
        return caseSensitive ? s : s.toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code map(attribute='x', default=...)} or {@code map('filter', args...)}. */
    private static Object map(Object v, List<Object> positional, Map<String, Object> keywords) {
        List<Object> out = new ArrayList<>();
        if (keywords.containsKey("attribute")) {
            Object attribute = keywords.get("attribute");
            for (Object item : Values.iterate(v)) {
                Object value = Interpreter.item(item, attribute);
                if (value instanceof Undefined && keywords.containsKey("default")) value = keywords.get("default");
                out.add(value);
            }
            return out;
        }
        if (positional.isEmpty() || !(positional.get(0) instanceof String filter)) {
            throw error("filter 'map' needs attribute=... or a filter name");
        }
        Map<String, Object> rest = new LinkedHashMap<>(keywords);
        for (Object item : Values.iterate(v)) out.add(apply(filter, item, positional.subList(1, positional.size()), rest));
        return out;
    }

    private static Object toInt(Object v, Object fallback) {
        if (Values.isNumber(v)) return Values.isIntegral(v) ? (Object) Values.asLong(v) : (Object) (long) Values.asDouble(v);
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.strip().replace("_", ""));
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(s.strip());
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Object toFloat(Object v, Object fallback) {
        if (Values.isNumber(v)) return Values.asDouble(v);
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** Jinja2's indent: every line but the first (unless first) and blank ones (unless blank) gets the prefix. */
    private static String indent(String s, Object width, boolean first, boolean blank) {
        String prefix = width instanceof String w ? w : " ".repeat((int) Values.asLong(width));
        String[] lines = s.split("\n", -1);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) out.append('\n');
            boolean indentIt = (i > 0 || first) && (blank || !lines[i].isEmpty());
            out.append(indentIt ? prefix : "").append(lines[i]);
        }
        return out.toString();
    }
}
