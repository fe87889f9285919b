package io.jtune.data.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(obj, ensure_ascii=False[, indent=n])} writes it,
 * because tool descriptions and function calls are rendered into prompts and must tokenize to the
 * same ids as in LLaMA-Factory. Key order is kept as read.
 */
public final class PyJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private PyJson() {}

    /** Parses JSON text; throws {@link IllegalArgumentException} with the parser's message when invalid. */
    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }

    /** {@code json.dumps(node, ensure_ascii=False)}: separators ", " and ": ", one line. */
    public static String dumps(JsonNode node) {
        StringBuilder out = new StringBuilder();
        write(node, out, -1, 0);
        return out.toString();
    }

    /** {@code json.dumps(node, indent=indent, ensure_ascii=False)}: separators "," and ": ", one item a line. */
    public static String dumps(JsonNode node, int indent) {
        StringBuilder out = new StringBuilder();
        write(node, out, indent, 0);
        return out.toString();
    }

    private static void write(JsonNode node, StringBuilder out, int indent, int depth) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isTextual()) {
            writeString(node.textValue(), out);
        } else if (node.isBoolean()) {
            out.append(node.booleanValue() ? "true" : "false");
        } else if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            out.append(pythonFloatRepr(node.doubleValue()));
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            Iterator<JsonNode> it = node.elements();
            boolean first = true;
            while (it.hasNext()) {
                separator(out, first, indent, depth + 1);
                first = false;
                write(it.next(), out, indent, depth + 1);
            }
            closing(out, indent, depth);
            out.append(']');
        } else if (node.isObject()) {
            if (node.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            boolean first = true;
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                separator(out, first, indent, depth + 1);
                first = false;
                writeString(e.getKey(), out);
                out.append(": ");
                write(e.getValue(), out, indent, depth + 1);
            }
            closing(out, indent, depth);
            out.append('}');
        } else {
            out.append(node.toString());
        }
    }

    private static void separator(StringBuilder out, boolean first, int indent, int depth) {
        if (indent < 0) {
            if (!first) out.append(", ");
        } else {
            if (!first) out.append(',');
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void closing(StringBuilder out, int indent, int depth) {
        if (indent >= 0) out.append('\n').append(" ".repeat(indent * depth));
    }

    private static void writeString(String s, StringBuilder out) {
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
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (Java's Double.toString gives
     * the same digits since JDK 19), written positionally when the decimal exponent is in [-4, 16),
     * otherwise as {@code d.ddde+XX}.
     */
    static String pythonFloatRepr(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "Infinity" : "-Infinity";
        if (v == 0) return (1 / v < 0) ? "-0.0" : "0.0";
        BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        String digits = d.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - d.scale(); // position of the leading digit
        String sign = v < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = d.abs().toPlainString();
            if (!plain.contains(".")) plain += ".0";
            return sign + plain;
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = String.format("%s%02d", exponent < 0 ? "-" : "+", Math.abs(exponent));
        return sign + mantissa + "e" + exp;
    }
}
