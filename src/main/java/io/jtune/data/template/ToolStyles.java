package io.jtune.data.template;

import static io.jtune.util.PythonJson.Options.NON_ASCII_KEPT;

import io.jtune.data.InvalidRecordException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.jtune.util.PythonJson;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The tool formats of LLaMA-Factory that jtune reproduces, by their tool_format names. */
public final class ToolStyles {
    private ToolStyles() {}

    public static final ToolStyle DEFAULT = new DefaultStyle();
    public static final ToolStyle QWEN = new QwenStyle();
    public static final ToolStyle GLM4 = new Glm4Style();
    public static final ToolStyle MISTRAL = new MistralStyle();
    public static final ToolStyle LLAMA3 = new Llama3Style(Clock.systemDefaultZone());

    private static final Map<String, ToolStyle> BY_NAME =
            Map.of("default", DEFAULT, "qwen", QWEN, "glm4", GLM4, "mistral", MISTRAL, "llama3", LLAMA3);

    public static ToolStyle byName(String name) {
        ToolStyle style = BY_NAME.get(name);
        if (style == null) {
            throw new io.jtune.JtuneException("Unknown tool_format '" + name + "'; jtune supports: "
                    + String.join(", ", new java.util.TreeSet<>(BY_NAME.keySet())) + ".");
        }
        return style;
    }

    /**
     * Phi-4-mini's tools: LLaMA-Factory's phi4_mini template formats the record's tools string as it
     * is, between "&lt;|tool|&gt;" and "&lt;|/tool|&gt;" (a StringFormatter, not a tool format); calls are
     * written and read in the default format.
     */
    public static final WrappedRawTools PHI4_MINI = new WrappedRawTools("<|tool|>", "<|/tool|>");

    /** Tools as the record's own JSON text between two markers; calls in the default format. */
    public static final class WrappedRawTools implements ToolStyle {
        private final String open, close;

        WrappedRawTools(String open, String close) {
            this.open = open;
            this.close = close;
        }

        /** The tools text as LLaMA-Factory's StringFormatter writes it: the string itself, unparsed. */
        public String wrap(String toolsJson) {
            return open + toolsJson + close;
        }

        @Override
        public String toolText(List<JsonNode> tools) {
            return wrap(PythonJson.dumps(JsonNodeFactory.instance.arrayNode().addAll(tools), NON_ASCII_KEPT));
        }

        @Override
        public String functionText(List<FunctionCall> calls) {
            return DEFAULT.functionText(calls);
        }

        @Override
        public List<FunctionCall> extract(String content) {
            return DEFAULT.extract(content);
        }

        @Override
        public String toString() {
            return "phi4_mini";
        }
    }

    /** "Action: name / Action Input: json" with a bulleted description of every argument. */
    static final class DefaultStyle implements ToolStyle {
        @Override
        public String toString() {
            return "default";
        }

        @Override
        public String toolText(List<JsonNode> tools) {
            StringBuilder toolText = new StringBuilder();
            List<String> names = new ArrayList<>();
            for (JsonNode raw : tools) {
                JsonNode tool = ToolStyle.unwrapFunction(raw);
                String name = requiredText(tool, "name");
                JsonNode params = tool.path("parameters");
                if (!params.path("properties").isObject()) {
                    throw new InvalidRecordException("tool has no parameters.properties",
                            "tool '" + name + "' needs \"parameters\": {\"properties\": {...}}");
                }
                List<String> required = new ArrayList<>();
                params.path("required").forEach(r -> required.add(r.asText()));
                StringBuilder args = new StringBuilder();
                for (Map.Entry<String, JsonNode> p : params.path("properties").properties()) {
                    JsonNode param = p.getValue();
                    String req = required.contains(p.getKey()) ? ", required" : "";
                    String enumText = "";
                    if (param.path("enum").isArray() && !param.path("enum").isEmpty()) {
                        List<String> values = new ArrayList<>();
                        param.path("enum").forEach(v -> values.add(v.asText()));
                        enumText = ", should be one of [" + String.join(", ", values) + "]";
                    }
                    String items = "";
                    if (param.path("items").isObject() && !param.path("items").isEmpty()) {
                        items = ", where each item should be " + param.path("items").path("type").asText("");
                    }
                    args.append("  - ").append(p.getKey()).append(" (").append(param.path("type").asText(""))
                            .append(req).append("): ").append(param.path("description").asText(""))
                            .append(enumText).append(items).append('\n');
                }
                toolText.append("> Tool Name: ").append(name)
                        .append("\nTool Description: ").append(tool.path("description").asText(""))
                        .append("\nTool Args:\n").append(args).append('\n');
                names.add(name);
            }
            return "You have access to the following tools:\n" + toolText
                    + "Use the following format if using a tool:\n```\n"
                    + "Action: tool name (one of [" + String.join(", ", names) + "])\n"
                    + "Action Input: the input to the tool, in a JSON format representing the kwargs "
                    + "(e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n";
        }

        @Override
        public String functionText(List<FunctionCall> calls) {
            List<String> parts = new ArrayList<>();
            for (FunctionCall c : calls) parts.add("Action: " + c.name() + "\nAction Input: " + c.arguments());
            return String.join("\n", parts);
        }

        private static final Pattern ACTION = Pattern.compile(
                "Action:\\s*([a-zA-Z0-9_]+)\\s*Action Input:\\s*(.+?)(?=\\s*Action:|\\s*$)", Pattern.DOTALL);

        @Override
        public List<FunctionCall> extract(String content) {
            List<FunctionCall> calls = new ArrayList<>();
            Matcher m = ACTION.matcher(content);
            while (m.find()) {
                String input = stripChars(stripChars(m.group(2).strip(), '"'), '`');
                JsonNode args = tryParse(input);
                if (args == null) return List.of();
                calls.add(new FunctionCall(m.group(1).strip(), PythonJson.dumps(args, NON_ASCII_KEPT)));
            }
            return calls;
        }
    }

    /** Qwen 2.5 / Qwen 3: tools as JSON lines inside &lt;tools&gt;, calls inside &lt;tool_call&gt;. */
    static final class QwenStyle implements ToolStyle {
        @Override
        public String toString() {
            return "qwen";
        }

        @Override
        public String callOpener() {
            return "<tool_call>";
        }

        @Override
        public String toolText(List<JsonNode> tools) {
            StringBuilder toolText = new StringBuilder();
            for (JsonNode tool : tools) toolText.append('\n').append(PythonJson.dumps(ToolStyle.wrapAsFunction(tool), NON_ASCII_KEPT));
            return "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                    + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>" + toolText
                    + "\n</tools>\n\nFor each function call, return a json object with function name and arguments "
                    + "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
                    + "\"arguments\": <args-json-object>}\n</tool_call>";
        }

        @Override
        public String functionText(List<FunctionCall> calls) {
            List<String> parts = new ArrayList<>();
            for (FunctionCall c : calls) {
                parts.add("<tool_call>\n" + PythonJson.dumps(ToolStyle.callObject(c, "arguments"), NON_ASCII_KEPT) + "\n</tool_call>");
            }
            return String.join("\n", parts);
        }

        private static final Pattern TOOL_CALL =
                Pattern.compile("<tool_call>(.+?)</tool_call>(?=\\s*<tool_call>|\\s*$)", Pattern.DOTALL);

        @Override
        public List<FunctionCall> extract(String content) {
            List<FunctionCall> calls = new ArrayList<>();
            Matcher m = TOOL_CALL.matcher(content);
            while (m.find()) {
                JsonNode call = tryParse(m.group(1).strip());
                if (call == null || !call.isObject() || !call.has("name") || !call.has("arguments")) return List.of();
                calls.add(new FunctionCall(call.get("name").asText(), PythonJson.dumps(call.get("arguments"), NON_ASCII_KEPT)));
            }
            return calls;
        }
    }

    /** GLM-4: a Chinese system preamble, each tool as indented JSON; one call "name\nargs". */
    static final class Glm4Style implements ToolStyle {
        @Override
        public String toString() {
            return "glm4";
        }

        @Override
        public String toolText(List<JsonNode> tools) {
            StringBuilder toolText = new StringBuilder();
            for (JsonNode raw : tools) {
                JsonNode tool = ToolStyle.unwrapFunction(raw);
                toolText.append("\n\n## ").append(requiredText(tool, "name")).append("\n\n")
                        .append(PythonJson.dumps(tool, NON_ASCII_KEPT.withIndent(4))).append("\n在调用上述函数时，请使用 Json 格式表示调用的参数。");
            }
            return "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱 AI 公司训练的语言模型 GLM-4 模型开发的，"
                    + "你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具" + toolText;
        }

        @Override
        public String functionText(List<FunctionCall> calls) {
            if (calls.size() > 1) {
                throw new InvalidRecordException("parallel function calls not supported by glm4",
                        calls.size() + " calls in one turn");
            }
            return calls.get(0).name() + "\n" + calls.get(0).arguments();
        }

        @Override
        public List<FunctionCall> extract(String content) {
            int newline = content.indexOf('\n');
            if (newline < 0) return List.of();
            JsonNode args = tryParse(content.substring(newline + 1).strip());
            return args == null ? List.of() : List.of(new FunctionCall(content.substring(0, newline), PythonJson.dumps(args, NON_ASCII_KEPT)));
        }
    }

    /** Mistral v0.3: [AVAILABLE_TOOLS] with a JSON array; calls as a JSON array. */
    static final class MistralStyle implements ToolStyle {
        @Override
        public String toString() {
            return "mistral";
        }

        @Override
        public String toolText(List<JsonNode> tools) {
            ArrayNode wrapped = JsonNodeFactory.instance.arrayNode();
            for (JsonNode tool : tools) wrapped.add(ToolStyle.wrapAsFunction(tool));
            return "[AVAILABLE_TOOLS] " + PythonJson.dumps(wrapped, NON_ASCII_KEPT) + "[/AVAILABLE_TOOLS]";
        }

        @Override
        public String functionText(List<FunctionCall> calls) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            for (FunctionCall c : calls) array.add(ToolStyle.callObject(c, "arguments"));
            return PythonJson.dumps(array, NON_ASCII_KEPT);
        }

        @Override
        public List<FunctionCall> extract(String content) {
            return jsonCalls(content, "arguments");
        }
    }

    /** Llama 3.x JSON tool calling (tools in the system message, today's date included). */
    static final class Llama3Style implements ToolStyle {
        @Override
        public String toString() {
            return "llama3";
        }

        private final Clock clock;

        Llama3Style(Clock clock) {
            this.clock = clock;
        }

        @Override
        public String toolText(List<JsonNode> tools) {
            String date = LocalDate.now(clock).format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
            StringBuilder toolText = new StringBuilder();
            for (JsonNode tool : tools) toolText.append(PythonJson.dumps(ToolStyle.wrapAsFunction(tool), NON_ASCII_KEPT.withIndent(4))).append("\n\n");
            return "Cutting Knowledge Date: December 2023\nToday Date: " + date + "\n\n"
                    + "You have access to the following functions. To call a function, please respond with JSON for a "
                    + "function call. Respond in the format {\"name\": function name, \"parameters\": dictionary of "
                    + "argument name and its value}. Do not use variables.\n\n" + toolText;
        }

        @Override
        public String functionText(List<FunctionCall> calls) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            for (FunctionCall c : calls) array.add(ToolStyle.callObject(c, "parameters"));
            return PythonJson.dumps(array.size() == 1 ? array.get(0) : array, NON_ASCII_KEPT);
        }

        @Override
        public List<FunctionCall> extract(String content) {
            return jsonCalls(content, "parameters");
        }
    }

    /** The whole answer as one call object or a list of them, each with "name" and {@code argumentsKey}. */
    private static List<FunctionCall> jsonCalls(String content, String argumentsKey) {
        JsonNode parsed = tryParse(content.strip());
        if (parsed == null) return List.of();
        List<FunctionCall> calls = new ArrayList<>();
        for (JsonNode call : parsed.isArray() ? parsed : List.of(parsed)) {
            if (!call.isObject() || !call.has("name") || !call.has(argumentsKey)) return List.of();
            calls.add(new FunctionCall(call.get("name").asText(), PythonJson.dumps(call.get(argumentsKey), NON_ASCII_KEPT)));
        }
        return calls;
    }

    private static JsonNode tryParse(String json) {
        try {
            return PythonJson.parse(json);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Python's str.strip(chars) for a single character. */
    private static String stripChars(String s, char c) {
        int start = 0, end = s.length();
        while (start < end && s.charAt(start) == c) start++;
        while (end > start && s.charAt(end - 1) == c) end--;
        return s.substring(start, end);
    }

    private static String requiredText(JsonNode tool, String key) {
        JsonNode v = tool.path(key);
        if (!v.isTextual()) {
            throw new InvalidRecordException("tool has no name", "a tool needs a string \"" + key + "\": " + tool);
        }
        return v.textValue();
    }
}
