package io.jtune.data.template.jinja;

import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as transformers defines it for chat templates: Python's
 * {@code json.dumps(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False)} with
 * those four keywords settable (Jinja2's own tojson would HTML-escape and sort the keys).
 */
final class JsonText {
    private final Integer indent;
    private final boolean ensureAscii;
    private final boolean sortKeys;
    private final String itemSeparator;
    private final String keySeparator;

    JsonText(Integer indent, boolean ensureAscii, boolean sortKeys, String itemSeparator, String keySeparator) {
        this.indent = indent;
        this.ensureAscii = ensureAscii;
        this.sortKeys = sortKeys;
        // json.dumps: ", " between items on one line, "," when indenting (the newline separates), ": " after keys.
        this.itemSeparator = itemSeparator != null ? itemSeparator : indent != null ? "," : ", ";
        this.keySeparator = keySeparator != null ? keySeparator : ": ";
    }

    String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.toString();
    }

    private void write(StringBuilder out, Object v, int depth) {
        switch (v) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Long l -> out.append(l);
            case Double d -> out.append(PythonJson.floatRepr(d));
            case String s -> PythonJson.appendString(out, s, ensureAscii);
            case List<?> list -> container(out, '[', ']', list.size(), depth, i -> write(out, list.get(i), depth + 1));
            case Map<?, ?> map -> object(out, map, depth);
            case Namespace n -> object(out, n.attributes, depth);
            case Undefined u -> throw Values.error("tojson: " + u.describe());
            default -> throw Values.error("tojson: a " + Values.typeName(v) + " is not JSON serializable");
        }
    }

    private void object(StringBuilder out, Map<?, ?> map, int depth) {
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
        container(out, '{', '}', entries.size(), depth, i -> {
            Map.Entry<?, ?> e = entries.get(i);
            if (!(e.getKey() instanceof String key)) throw Values.error("tojson: dict keys must be strings");
            PythonJson.appendString(out, key, ensureAscii);
            out.append(keySeparator);
            write(out, e.getValue(), depth + 1);
        });
    }

    private interface Item {
        void write(int index);
    }

    private void container(StringBuilder out, char open, char close, int size, int depth, Item item) {
        out.append(open);
        if (size == 0) {
            out.append(close);
            return;
        }
        for (int i = 0; i < size; i++) {
            if (i > 0) out.append(itemSeparator);
            if (indent != null) out.append('\n').append(" ".repeat(indent * (depth + 1)));
            item.write(i);
        }
        if (indent != null) out.append('\n').append(" ".repeat(indent * depth));
        out.append(close);
    }
}
