package io.jtune.data.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.jtune.data.AlignedExample;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.data.Role;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.Row;
import io.jtune.util.PythonJson;
import java.util.ArrayList;
import java.util.List;

/**
 * LLaMA-Factory's "openai" formatting: messages with role/content (names set by the tags), where an
 * assistant message's {@code tool_calls} becomes a function turn (the list of their "function"
 * objects as JSON) and consecutive tool results are merged into one observation turn. As
 * LLaMA-Factory, the system text gets "detailed thinking off" (the reasoning switch of the models
 * trained on such data) unless the record has tools or already says "detailed thinking on/off".
 */
final class OpenAIConverter implements DatasetConverter {
    private static final String THINKING_OFF = "detailed thinking off";

    private final DatasetAttr.Columns c;
    private final DatasetAttr.Tags t;
    private final boolean ranking;

    OpenAIConverter(DatasetAttr attr) {
        this.c = attr.columns();
        this.t = attr.tags();
        this.ranking = attr.ranking();
    }

    @Override
    public AlignedExample convert(Row row) {
        List<JsonNode> turns = Fields.messages(row, c.messages());
        String system;
        if (t.system() != null && !turns.isEmpty() && t.system().equals(turns.getFirst().path(t.role()).asText(null))) {
            system = text(turns.getFirst(), 0);
            turns = turns.subList(1, turns.size());
        } else {
            system = Fields.string(row, c.system());
        }

        List<Message> aligned = new ArrayList<>();
        List<String> toolResponses = new ArrayList<>();
        for (int i = 0; i < turns.size(); i++) {
            JsonNode turn = turns.get(i);
            String role = turn.path(t.role()).asText(null);
            if (role == null) {
                throw new InvalidRecordException("message without a role", "turn " + (i + 1) + " has no \"" + t.role() + "\"");
            }
            JsonNode toolCalls = turn.get("tool_calls");
            String content;
            if ((role.equals(t.assistant()) || role.equals(t.function())) && toolCalls != null && toolCalls.isArray()
                    && !toolCalls.isEmpty()) {
                ArrayNode functions = JsonNodeFactory.instance.arrayNode();
                toolCalls.forEach(call -> functions.add(call.path("function")));
                content = PythonJson.dumps(functions, PythonJson.Options.NON_ASCII_KEPT);
                role = t.function();
            } else {
                content = text(turn, i);
            }
            if (role.equals(t.observation())) {
                toolResponses.add(content);
                continue;
            }
            if (!toolResponses.isEmpty()) {
                aligned.add(new Message(Role.OBSERVATION, String.join("\n</tool_response>\n<tool_response>\n", toolResponses)));
                toolResponses.clear();
            }
            aligned.add(new Message(roleOf(role, i), content));
        }
        for (int i = 0; i < aligned.size(); i++) {
            Role r = aligned.get(i).role();
            boolean ok = i % 2 == 0 ? (r == Role.USER || r == Role.OBSERVATION) : (r == Role.ASSISTANT || r == Role.FUNCTION);
            if (!ok) {
                throw new InvalidRecordException("openai turns do not alternate user/assistant",
                        "turn " + (i + 1) + " is " + r.value());
            }
        }
        if (aligned.isEmpty()) throw new InvalidRecordException("empty conversation", "no turns");
        if (!ranking && aligned.size() % 2 != 0) {
            throw new InvalidRecordException("openai conversation does not end with an answer", aligned.size() + " turns");
        }
        if (ranking) throw new InvalidRecordException("preference data in openai formatting not supported yet",
                "use sharegpt formatting with chosen/rejected");

        List<Message> prompt = aligned.subList(0, aligned.size() - 1);
        List<Message> response = new ArrayList<>();
        Boolean kto = Fields.ktoTag(row, c.ktoTag());
        if (kto == null) response.add(aligned.getLast());
        else if (kto) response.addAll(List.of(aligned.getLast(), Message.assistant("")));
        else response.addAll(List.of(Message.assistant(""), aligned.getLast()));

        String tools = Fields.tools(row, c.tools());
        if (tools == null) tools = "";
        String sys = system == null ? "" : system;
        if (sys.isEmpty()) {
            if (tools.isEmpty()) sys = THINKING_OFF;
        } else if (tools.isEmpty()) {
            if (!sys.contains("detailed thinking on") && !sys.contains(THINKING_OFF)) sys += "\n" + THINKING_OFF;
        } else {
            sys += "\n";
        }
        return new AlignedExample(prompt, response, sys, tools, row.origin());
    }

    private String text(JsonNode turn, int index) {
        JsonNode v = turn.get(t.content());
        if (v == null || !v.isTextual()) {
            throw new InvalidRecordException("message content is not a string",
                    "turn " + (index + 1) + " has no string \"" + t.content() + "\"");
        }
        return v.textValue();
    }

    private Role roleOf(String tag, int index) {
        if (tag.equals(t.user())) return Role.USER;
        if (tag.equals(t.assistant())) return Role.ASSISTANT;
        if (tag.equals(t.function())) return Role.FUNCTION;
        if (tag.equals(t.system())) return Role.SYSTEM;
        throw new InvalidRecordException("unknown role", "turn " + (index + 1) + " has role \"" + tag + "\"");
    }
}
