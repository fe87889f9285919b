package io.jtune.util;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON text byte for byte as Python's {@code json.dumps} writes it. The files and prompts jtune
 * produces must match what transformers, PEFT and LLaMA-Factory produce (config.json, trainer_log.jsonl,
 * tool descriptions rendered into prompts, which must tokenize to the same ids), so the layout
 * follows Python, not Jackson: ", " between items on one line, "," + newline with an indent, ": "
 * after keys always, floats as Python's repr ("3.0", "1e-05"), NaN and Infinity as Python writes
 * them, non-ASCII escaped as \\uXXXX unless ensure_ascii is off.
 *
 * <p>Input is a Jackson {@link JsonNode} or plain Java values: Map (iteration order kept),
 * Collection, String, Number, Boolean and null; the two may be mixed.
 */
public final class PythonJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private PythonJson() {}

    /**
     * The keyword arguments of {@code json.dumps} that jtune uses.
     *
     * @param indent      spaces per level, or {@link #NO_INDENT} for Python's {@code indent=None} (one line)
     * @param sortKeys    Python's {@code sort_keys}
     * @param ensureAscii Python's {@code ensure_ascii}: escape every non-ASCII character
     */
    public record Options(int indent, boolean sortKeys, boolean ensureAscii) {
        public static final int NO_INDENT = -1;
        /** {@code json.dumps(obj)}: one line, keys as given, ASCII only. */
        public static final Options DEFAULT = new Options(NO_INDENT, false, true);
        /** {@code json.dumps(obj, ensure_ascii=False)}, as LLaMA-Factory renders tools and writes predictions. */
        public static final Options NON_ASCII_KEPT = DEFAULT.withoutAsciiEscapes();

        public Options withIndent(int spaces) {
            return new Options(spaces, sortKeys, ensureAscii);
        }

        public Options withSortedKeys() {
            return new Options(indent, true, ensureAscii);
        }

        public Options withoutAsciiEscapes() {
            return new Options(indent, sortKeys, false);
        }
    }

    /** {@code json.dumps(value)}. */
    public static String dumps(Object value) {
        return dumps(value, Options.DEFAULT);
    }

    /** {@code json.dumps(value, ...)} with the given keyword arguments. */
    public static String dumps(Object value, Options options) {
        StringBuilder out = new StringBuilder();
        new Writer(out, options).value(value, 0);
        return out.toString();
    }

    /** Parses JSON text, integers as exact big integers; throws {@link IllegalArgumentException} with the parser's message. */
    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }

    /** Python's {@code round(x, digits)} for floats: round half to even on the exact binary value. */
    public static double round(double x, int digits) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return x;
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }

    /**
     * A JSON string literal as Python escapes it: quote, backslash and \n \r \t \b \f by name, other
     * control characters as lowercase \\u00xx, and with {@code ensureAscii} every char from 0x7f on as
     * \\uXXXX (a char is a UTF-16 unit, so characters beyond the BMP come out as surrogate pairs, as in
     * Python). serde_json (safetensors headers) escapes exactly as Python does with ensure_ascii off.
     */
    public static void appendString(StringBuilder out, String s, boolean ensureAscii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 or from 1e16 on. */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (Double.doubleToRawLongBits(d) < 0) ? "-0.0" : "0.0";
        BigDecimal shortest = shortest(Math.abs(d));
        String digits = shortest.unscaledValue().toString();
        int exponent = digits.length() - 1 - shortest.scale(); // power of ten of the leading digit
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (exponent < -4 || exponent >= 16) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
            sb.append('e').append(exponent < 0 ? '-' : '+').append(String.format("%02d", Math.abs(exponent)));
        } else {
            String plain = shortest.toPlainString();
            sb.append(plain).append(plain.contains(".") ? "" : ".0");
        }
        return sb.toString();
    }

    /**
     * The shortest decimal that reads back as {@code d} (positive), the closest one when several have
     * that length, as Python's repr picks it. Java's Double.toString (JDK 19+) gives exactly these digits
     * except that it never prints fewer than two (4.9E-324 where 5e-324 reads back too), so a
     * one-digit neighbour is tried whenever it printed two.
     */
    private static BigDecimal shortest(double d) {
        BigDecimal javaDigits = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        if (javaDigits.precision() != 2) return javaDigits;
        BigDecimal exact = new BigDecimal(d);
        BigDecimal best = null;
        for (RoundingMode mode : new RoundingMode[] {RoundingMode.FLOOR, RoundingMode.CEILING}) {
            BigDecimal one = javaDigits.round(new MathContext(1, mode));
            if (one.doubleValue() != d) continue;
            if (best == null || one.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0) best = one;
        }
        return best == null ? javaDigits : best.stripTrailingZeros();
    }

    /** One dumps call: walks the value, writing into {@code out}. */
    private record Writer(StringBuilder out, Options options) {
        void value(Object v, int depth) {
            if (v instanceof JsonNode node) node(node, depth);
            else if (v == null) out.append("null");
            else if (v instanceof Boolean b) out.append(b ? "true" : "false");
            else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
                out.append(floatRepr(((Number) v).doubleValue()));
            } else if (v instanceof BigInteger big) out.append(big);
            else if (v instanceof Number n) out.append(n.longValue());
            else if (v instanceof CharSequence s) appendString(out, s.toString(), options.ensureAscii());
            else if (v instanceof Map<?, ?> m) {
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                m.forEach((k, item) -> entries.add(new SimpleEntry<>(String.valueOf(k), item)));
                object(entries, depth);
            } else if (v instanceof Collection<?> c) array(c.iterator(), c.isEmpty(), depth);
            else throw new IllegalArgumentException("not JSON-serialisable: " + v.getClass().getName());
        }

        private void node(JsonNode node, int depth) {
            if (node.isObject()) {
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                node.properties().forEach(e -> entries.add(new SimpleEntry<>(e.getKey(), e.getValue())));
                object(entries, depth);
            } else if (node.isArray()) {
                array(node.elements(), node.isEmpty(), depth);
            } else if (node.isTextual()) {
                appendString(out, node.textValue(), options.ensureAscii());
            } else if (node.isIntegralNumber()) {
                out.append(node.bigIntegerValue());
            } else if (node.isNumber()) {
                out.append(floatRepr(node.doubleValue()));
            } else if (node.isBoolean()) {
                out.append(node.booleanValue() ? "true" : "false");
            } else if (node.isNull() || node.isMissingNode()) {
                out.append("null");
            } else {
                throw new IllegalArgumentException("not JSON-serialisable: " + node.getNodeType());
            }
        }

        private void object(List<Map.Entry<String, Object>> entries, int depth) {
            if (entries.isEmpty()) {
                out.append("{}");
                return;
            }
            if (options.sortKeys()) entries.sort(Map.Entry.comparingByKey());
            out.append('{');
            for (int i = 0; i < entries.size(); i++) {
                separator(i == 0, depth + 1);
                appendString(out, entries.get(i).getKey(), options.ensureAscii());
                out.append(": ");
                value(entries.get(i).getValue(), depth + 1);
            }
            closing(depth);
            out.append('}');
        }

        private void array(Iterator<?> items, boolean empty, int depth) {
            if (empty) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            while (items.hasNext()) {
                separator(first, depth + 1);
                first = false;
                value(items.next(), depth + 1);
            }
            closing(depth);
            out.append(']');
        }

        /** Python: ", " between items on one line; "," + newline + indent when an indent is set. */
        private void separator(boolean first, int depth) {
            if (options.indent() < 0) {
                if (!first) out.append(", ");
                return;
            }
            if (!first) out.append(',');
            out.append('\n').append(" ".repeat(options.indent() * depth));
        }

        private void closing(int depth) {
            if (options.indent() >= 0) out.append('\n').append(" ".repeat(options.indent() * depth));
        }
    }
}
