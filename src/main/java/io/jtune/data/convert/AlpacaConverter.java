package io.jtune.data.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.data.AlignedExample;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.Row;
import java.util.ArrayList;
import java.util.List;

/**
 * The alpaca format: history pairs become earlier turns, "instruction\ninput" is the user turn,
 * "output" the answer. With a KTO tag the answer is paired with an empty turn (after it when
 * desirable, before it when not); with ranking, chosen and rejected are the two answers.
 */
final class AlpacaConverter implements DatasetConverter {
    private final DatasetAttr.Columns c;
    private final boolean ranking;

    AlpacaConverter(DatasetAttr attr) {
        this.c = attr.columns();
        this.ranking = attr.ranking();
    }

    @Override
    public AlignedExample convert(Row row) {
        List<Message> prompt = new ArrayList<>();
        JsonNode history = row.get(c.history());
        if (history != null && history.isArray()) {
            for (JsonNode turn : history) {
                if (!turn.isArray() || turn.size() != 2 || !turn.get(0).isTextual() || !turn.get(1).isTextual()) {
                    throw new InvalidRecordException("history entry is not a [prompt, response] pair",
                            "\"" + c.history() + "\" has " + turn);
                }
                prompt.add(Message.user(turn.get(0).textValue()));
                prompt.add(Message.assistant(turn.get(1).textValue()));
            }
        }
        List<String> query = new ArrayList<>();
        String instruction = Fields.string(row, c.prompt());
        if (instruction != null && !instruction.isEmpty()) query.add(instruction);
        String input = Fields.string(row, c.query());
        if (input != null && !input.isEmpty()) query.add(input);
        prompt.add(Message.user(String.join("\n", query)));

        List<Message> response = new ArrayList<>();
        Boolean kto = Fields.ktoTag(row, c.ktoTag());
        JsonNode chosen = row.get(c.chosen());
        JsonNode rejected = row.get(c.rejected());
        if (kto != null) {
            Message answer = Message.assistant(requireString(row, c.response()));
            if (kto) response.addAll(List.of(answer, Message.assistant("")));
            else response.addAll(List.of(Message.assistant(""), answer));
        } else if (ranking && chosen != null && chosen.isTextual() && rejected != null && rejected.isTextual()) {
            response.add(Message.assistant(chosen.textValue()));
            response.add(Message.assistant(rejected.textValue()));
        } else if (ranking) {
            throw new InvalidRecordException("preference record without chosen/rejected strings",
                    "columns \"" + c.chosen() + "\" and \"" + c.rejected() + "\" must both be strings");
        } else {
            String output = Fields.string(row, c.response());
            if (output != null) response.add(Message.assistant(output));
        }
        return new AlignedExample(prompt, response, Fields.string(row, c.system()), Fields.tools(row, c.tools()),
                row.origin());
    }

    private static String requireString(Row row, String column) {
        String s = Fields.string(row, column);
        if (s == null) throw new InvalidRecordException("no response", "\"" + column + "\" is missing");
        return s;
    }
}
