package io.jtune.data.template;

import static io.jtune.util.PythonJson.Options.NON_ASCII_KEPT;

import io.jtune.data.InvalidRecordException;
import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one message into slots, as LLaMA-Factory's formatters: {@link Empty} (fixed slots, e.g. a
 * prefix), {@link Text} ({{content}} / {{idx}} substituted), {@link Function} (a tool-call turn
 * rendered by a {@link ToolStyle}) and {@link Tools} (the tool list appended to the system text).
 */
public sealed interface Formatter {

    List<Slot> slots();

    /** Fixed slots without placeholders. */
    record Empty(List<Slot> slots) implements Formatter {
        public Empty {
            slots = List.copyOf(slots);
        }

        public List<Slot> apply() {
            return slots;
        }
    }

    /** Slots with placeholders; each placeholder's first occurrence in each text slot is replaced. */
    record Text(List<Slot> slots) implements Formatter {
        public Text {
            slots = List.copyOf(slots);
        }

        public List<Slot> apply(String content) {
            return substitute(slots, content, null);
        }

        public List<Slot> apply(String content, String idx) {
            return substitute(slots, content, idx);
        }
    }

    /**
     * A function-call turn: the content is JSON ({"name", "arguments"} or a list of them), possibly
     * wrapped in tool-call words and preceded by a thought; the calls are rendered by the style.
     */
    record Function(List<Slot> slots, ToolStyle style) implements Formatter {
        public Function {
            slots = List.copyOf(slots);
        }

        /** {@code thoughtWords}/{@code toolCallWords} may be null (LLaMA-Factory's Llama2Template passes none). */
        public List<Slot> apply(String content, String[] thoughtWords, String[] toolCallWords) {
            Matcher toolCall = toolCallWords == null ? null : between(toolCallWords).matcher(content);
            String functionText;
            if (toolCall != null && toolCall.find()) {
                String thought = content.replace(toolCall.group(0), "");
                functionText = thought + style.functionText(parseCalls(toolCall.group(1)));
            } else {
                Matcher thought = thoughtWords == null ? null : between(thoughtWords).matcher(content);
                if (thought != null && thought.find()) {
                    String json = content.replace(thought.group(0), "");
                    functionText = thought.group(0) + style.functionText(parseCalls(json));
                } else {
                    functionText = style.functionText(parseCalls(content));
                }
            }
            return substitute(slots, functionText, null);
        }

        private static Pattern between(String[] words) {
            return Pattern.compile(Pattern.quote(words[0]) + "(.*?)" + Pattern.quote(words[1]), Pattern.DOTALL);
        }

        private static List<FunctionCall> parseCalls(String json) {
            JsonNode parsed;
            try {
                parsed = PythonJson.parse(json);
            } catch (IllegalArgumentException e) {
                throw new InvalidRecordException("function call is not valid JSON", shorten(json));
            }
            List<FunctionCall> calls = new ArrayList<>();
            for (JsonNode call : parsed.isArray() ? parsed : List.of(parsed)) {
                if (!call.path("name").isTextual() || !call.has("arguments")) {
                    throw new InvalidRecordException("function call needs \"name\" and \"arguments\"", shorten(json));
                }
                calls.add(new FunctionCall(call.get("name").textValue(), PythonJson.dumps(call.get("arguments"), NON_ASCII_KEPT)));
            }
            return calls;
        }
    }

    /** The tools description: the record's tools JSON rendered by the style ("" for an empty list). */
    record Tools(ToolStyle style) implements Formatter {
        @Override
        public List<Slot> slots() {
            return List.of();
        }

        public String apply(String toolsJson) {
            // LLaMA-Factory's phi4_mini formats the tools string itself, without parsing it.
            if (style instanceof ToolStyles.WrappedRawTools raw) return raw.wrap(toolsJson);
            JsonNode tools;
            try {
                tools = PythonJson.parse(toolsJson);
            } catch (IllegalArgumentException e) {
                throw new InvalidRecordException("tools is not valid JSON", shorten(toolsJson));
            }
            if (tools.isObject()) tools = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode().add(tools);
            if (!tools.isArray()) {
                throw new InvalidRecordException("tools must be a JSON list of tool descriptions", shorten(toolsJson));
            }
            if (tools.isEmpty()) return "";
            List<JsonNode> list = new ArrayList<>();
            tools.forEach(list::add);
            return style.toolText(list);
        }
    }

    private static List<Slot> substitute(List<Slot> slots, String content, String idx) {
        List<Slot> out = new ArrayList<>(slots.size());
        for (Slot slot : slots) {
            if (slot instanceof Slot.Text t) {
                String s = replaceFirst(t.text(), "{{content}}", content);
                if (idx != null) s = replaceFirst(s, "{{idx}}", idx);
                out.add(new Slot.Text(s));
            } else {
                out.add(slot);
            }
        }
        return out;
    }

    private static String replaceFirst(String s, String placeholder, String value) {
        int at = s.indexOf(placeholder);
        return at < 0 ? s : s.substring(0, at) + value + s.substring(at + placeholder.length());
    }

    private static String shorten(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
