package io.jtune.infer;

import java.util.Map;

/**
 * One JSON object of strings as Python's {@code json.dumps(obj, ensure_ascii=False)} writes it
 * (", " and ": " separators, non-ASCII kept, control characters escaped): the lines of
 * generated_predictions.jsonl look byte for byte like LLaMA-Factory's.
 */
final class PythonJsonLine {
    private PythonJsonLine() {}

    static String of(Map<String, String> fields) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (!first) out.append(", ");
            first = false;
            quote(f.getKey(), out);
            out.append(": ");
            quote(f.getValue(), out);
        }
        return out.append('}').toString();
    }

    static void quote(String s, StringBuilder out) {
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
}
