package io.jtune.data.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.data.AlignedExample;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.data.Role;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The sharegpt format (OpenAI-style role/content messages too, through the tags): an optional
 * leading system turn, then turns that alternate user-or-observation / assistant-or-function. A
 * conversation ends with an answer, except for preference data, whose prompt ends with a user turn
 * and whose chosen / rejected answers are separate columns.
 */
final class SharegptConverter implements DatasetConverter {
    private final DatasetAttr.Columns c;
    private final DatasetAttr.Tags t;
    private final boolean ranking;

    SharegptConverter(DatasetAttr attr) {
        this.c = attr.columns();
        this.t = attr.tags();
        this.ranking = attr.ranking();
    }

    @Override
    public AlignedExample convert(Row row) {
        List<JsonNode> turns = Fields.messages(row, c.messages());
        String system;
        if (t.system() != null && !turns.isEmpty() && t.system().equals(role(turns.getFirst(), 0))) {
            system = content(turns.getFirst(), 0);
            turns = turns.subList(1, turns.size());
        } else {
            system = Fields.string(row, c.system());
        }
        List<Message> aligned = new ArrayList<>();
        for (int i = 0; i < turns.size(); i++) {
            String role = role(turns.get(i), i);
            boolean promptTurn = i % 2 == 0;
            String expectedA = promptTurn ? t.user() : t.assistant();
            String expectedB = promptTurn ? t.observation() : t.function();
            if (!role.equals(expectedA) && !role.equals(expectedB)) {
                throw new InvalidRecordException("sharegpt turns do not alternate user/assistant",
                        "turn " + (i + 1) + " has role \"" + role + "\", expected " + names(expectedA, expectedB));
            }
            aligned.add(new Message(roleOf(role), content(turns.get(i), i)));
        }
        if (aligned.isEmpty()) throw new InvalidRecordException("empty conversation", "no turns");
        if (!ranking && aligned.size() % 2 != 0) {
            throw new InvalidRecordException("sharegpt conversation does not end with an answer",
                    aligned.size() + " turns, the last one has role \"" + role(turns.getLast(), turns.size() - 1) + "\"");
        }
        if (ranking && aligned.size() % 2 == 0) {
            throw new InvalidRecordException("preference prompt does not end with a user turn",
                    aligned.size() + " turns before the chosen/rejected answers");
        }

        List<Message> prompt;
        List<Message> response = new ArrayList<>();
        Boolean kto = Fields.ktoTag(row, c.ktoTag());
        if (kto != null) {
            prompt = aligned.subList(0, aligned.size() - 1);
            Message answer = aligned.getLast();
            if (kto) response.addAll(List.of(answer, Message.assistant("")));
            else response.addAll(List.of(Message.assistant(""), answer));
        } else if (ranking) {
            JsonNode chosen = row.get(c.chosen());
            JsonNode rejected = row.get(c.rejected());
            if (chosen == null || !chosen.isObject() || rejected == null || !rejected.isObject()) {
                throw new InvalidRecordException("preference record without chosen/rejected messages",
                        "columns \"" + c.chosen() + "\" and \"" + c.rejected() + "\" must both be message objects");
            }
            prompt = aligned;
            response.add(answer(chosen, "chosen"));
            response.add(answer(rejected, "rejected"));
        } else {
            prompt = aligned.subList(0, aligned.size() - 1);
            response.add(aligned.getLast());
        }
        return new AlignedExample(prompt, response, system, Fields.tools(row, c.tools()), row.origin());
    }

    private Message answer(JsonNode message, String which) {
        String role = role(message, -1);
        if (!role.equals(t.assistant()) && !role.equals(t.function())) {
            throw new InvalidRecordException("preference answer is not an assistant turn",
                    which + " has role \"" + role + "\", expected " + names(t.assistant(), t.function()));
        }
        return new Message(roleOf(role), content(message, -1));
    }

    private String role(JsonNode message, int index) {
        JsonNode r = message.isObject() ? message.get(t.role()) : null;
        if (r == null || !r.isTextual()) {
            throw new InvalidRecordException("message without a role",
                    where(index) + " has no string \"" + t.role() + "\": " + abbreviate(message));
        }
        return r.textValue();
    }

    private String content(JsonNode message, int index) {
        JsonNode v = message.get(t.content());
        if (v == null || !v.isTextual()) {
            throw new InvalidRecordException("message content is not a string",
                    where(index) + " has no string \"" + t.content() + "\": " + abbreviate(message));
        }
        return v.textValue();
    }

    private Role roleOf(String tag) {
        if (tag.equals(t.user())) return Role.USER;
        if (tag.equals(t.assistant())) return Role.ASSISTANT;
        if (tag.equals(t.observation())) return Role.OBSERVATION;
        if (tag.equals(t.function())) return Role.FUNCTION;
        return Role.SYSTEM;
    }

    private static String where(int index) {
        return index < 0 ? "the answer" : "turn " + (index + 1);
    }

    private static String names(String a, String b) {
        return b == null || Objects.equals(a, b) ? "\"" + a + "\"" : "\"" + a + "\" or \"" + b + "\"";
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
