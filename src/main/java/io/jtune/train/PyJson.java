package io.jtune.train;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * JSON text laid out as Python's {@code json.dumps} lays it out, so the files jtune writes for
 * HF/LLaMA-Factory tools (trainer_log.jsonl, *_results.json, trainer_state.json) look the same as
 * theirs: floats in Python's repr ("0.0001", "1e-05", "3.0"), ", " / ": " separators, optional indent
 * and sorted keys, non-ASCII escaped (ensure_ascii), NaN and Infinity as Python writes them.
 */
public final class PyJson {
    private PyJson() {}

    /** {@code json.dumps(value)}: one line. */
    public static String dumps(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, -1, false, 0);
        return sb.toString();
    }

    /** {@code json.dumps(value, indent=indent, sort_keys=sortKeys)}. */
    public static String dumps(Object value, int indent, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, sortKeys, 0);
        return sb.toString();
    }

    /** Python's {@code round(x, digits)} for floats (round half to even on the exact binary value). */
    public static double round(double x, int digits) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return x;
        }
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = shortest(d);
        String digits = bd.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - bd.scale(); // d = 0.digits x 10^(exponent+1)
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        String plain = bd.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /**
     * The shortest decimal that reads back as d, the closest one when several have that length (what
     * Python's repr prints; Java's Double.toString may add a second digit, e.g. 4.9E-324 for 5e-324).
     */
    private static BigDecimal shortest(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int digits = 1; digits < 17; digits++) {
            BigDecimal candidate = exact.round(new java.math.MathContext(digits, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == d) {
                return candidate.stripTrailingZeros();
            }
        }
        return exact.round(new java.math.MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    private static void write(StringBuilder sb, Object v, int indent, boolean sortKeys, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(floatRepr(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            sb.append(n.longValue());
        } else if (v instanceof CharSequence s) {
            string(sb, s.toString());
        } else if (v instanceof Map<?, ?> m) {
            object(sb, m, indent, sortKeys, level);
        } else if (v instanceof Collection<?> c) {
            array(sb, c, indent, sortKeys, level);
        } else {
            throw new IllegalArgumentException("not JSON-serialisable: " + v.getClass().getName());
        }
    }

    private static void object(StringBuilder sb, Map<?, ?> m, int indent, boolean sortKeys, int level) {
        if (m.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
        if (sortKeys) {
            entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : entries) {
            separator(sb, first, indent, level + 1);
            first = false;
            string(sb, String.valueOf(e.getKey()));
            sb.append(": ");
            write(sb, e.getValue(), indent, sortKeys, level + 1);
        }
        closing(sb, indent, level);
        sb.append('}');
    }

    private static void array(StringBuilder sb, Collection<?> c, int indent, boolean sortKeys, int level) {
        if (c.isEmpty()) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        boolean first = true;
        for (Object item : c) {
            separator(sb, first, indent, level + 1);
            first = false;
            write(sb, item, indent, sortKeys, level + 1);
        }
        closing(sb, indent, level);
        sb.append(']');
    }

    /** Python: ", " between items on one line; "," + newline + indent with indent set. */
    private static void separator(StringBuilder sb, boolean first, int indent, int level) {
        if (indent < 0) {
            if (!first) {
                sb.append(", ");
            }
            return;
        }
        if (!first) {
            sb.append(',');
        }
        sb.append('\n').append(" ".repeat(indent * level));
    }

    private static void closing(StringBuilder sb, int indent, int level) {
        if (indent >= 0) {
            sb.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void string(StringBuilder sb, String s) {
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
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
