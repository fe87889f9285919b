package io.jtune.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON the way Python's {@code json.dumps(obj, indent=2)} does, which is how transformers,
 * PEFT and huggingface_hub write config.json, generation_config.json and index files: two-space
 * indent, ", " never at line ends, {@code ": "} after keys, non-ASCII escaped as \\uXXXX, floats as
 * Python's repr (1e-06, 10000.0). Files jtune writes then diff cleanly against the ones HF wrote.
 */
public final class PythonJson {
    private PythonJson() {}

    /** The text of {@code node}, followed by a newline as transformers writes it. */
    public static String dumps(JsonNode node, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        write(node, sortKeys, 0, sb);
        return sb.append('\n').toString();
    }

    private static void write(JsonNode node, boolean sortKeys, int depth, StringBuilder sb) {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
            if (fields.isEmpty()) { sb.append("{}"); return; }
            if (sortKeys) fields.sort(Map.Entry.comparingByKey());
            sb.append('{');
            for (int i = 0; i < fields.size(); i++) {
                sb.append(i == 0 ? "" : ",").append('\n').append("  ".repeat(depth + 1));
                string(fields.get(i).getKey(), sb);
                sb.append(": ");
                write(fields.get(i).getValue(), sortKeys, depth + 1, sb);
            }
            sb.append('\n').append("  ".repeat(depth)).append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) { sb.append("[]"); return; }
            sb.append('[');
            Iterator<JsonNode> it = node.elements();
            boolean first = true;
            while (it.hasNext()) {
                sb.append(first ? "" : ",").append('\n').append("  ".repeat(depth + 1));
                write(it.next(), sortKeys, depth + 1, sb);
                first = false;
            }
            sb.append('\n').append("  ".repeat(depth)).append(']');
        } else if (node.isTextual()) {
            string(node.textValue(), sb);
        } else if (node.isIntegralNumber()) {
            sb.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            sb.append(floatRepr(node.doubleValue()));
        } else if (node.isBoolean()) {
            sb.append(node.booleanValue() ? "true" : "false");
        } else {
            sb.append("null");
        }
    }

    /** A JSON string with Python's ensure_ascii escaping. */
    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 or from 1e16 on. */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (Double.doubleToRawLongBits(d) < 0) ? "-0.0" : "0.0";
        // Java's Double.toString gives the shortest round-trip digits (JDK 19+), as Python's repr does.
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int decpt = digits.length() - exact.scale(); // value = 0.digits x 10^decpt
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (decpt <= -4 || decpt > 16) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            if (Math.abs(exp) < 10) sb.append('0');
            sb.append(Math.abs(exp));
        } else if (decpt <= 0) {
            sb.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= digits.length()) {
            sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        } else {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        }
        return sb.toString();
    }
}
