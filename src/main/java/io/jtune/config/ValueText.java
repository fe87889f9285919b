package io.jtune.config;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders configuration values the way a YAML file would show them (for help, docs and `config check`). */
final class ValueText {
    private ValueText() {}

    static String of(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Double d) {
            return number(d);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(ValueText::of).collect(Collectors.joining(","));
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(e -> e.getKey() + ": " + of(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        return value.toString();
    }

    /** 5.0e-05 style for small and large numbers, plain otherwise, never "5.0E-5". */
    static String number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return String.format("%.1f", d);
        }
        double abs = Math.abs(d);
        if (abs != 0 && (abs < 1e-3 || abs >= 1e7)) {
            String s = String.format("%.6e", d);
            // trim trailing zeros of the mantissa: 5.000000e-05 -> 5.0e-05
            return s.replaceAll("(\\.\\d*?)0+e", "$1e").replace(".e", ".0e");
        }
        return Double.toString(d);
    }
}
