package io.jtune.data.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.source.Row;
import io.jtune.util.PythonJson;
import java.util.List;

/** Typed access to a row's columns, with a skip reason when a value has the wrong type. */
final class Fields {
    private Fields() {}

    /** The column as a string, or null when the column is unused or the value absent. */
    static String string(Row row, String column) {
        JsonNode v = row.get(column);
        if (v == null) return null;
        if (!v.isTextual()) {
            throw new InvalidRecordException("field is not a string",
                    "\"" + column + "\" is " + describe(v) + ", expected a string");
        }
        return v.textValue();
    }

    /** A tools column: a JSON string as LLaMA-Factory expects, or inline JSON (written back as Python would). */
    static String tools(Row row, String column) {
        JsonNode v = row.get(column);
        if (v == null) return null;
        if (v.isTextual()) return v.textValue();
        if (v.isArray() || v.isObject()) return PythonJson.dumps(v, PythonJson.Options.NON_ASCII_KEPT);
        throw new InvalidRecordException("field is not a string", "\"" + column + "\" is " + describe(v)
                + ", expected the tools as a JSON string or list");
    }

    /** A KTO tag: a JSON boolean, or "true"/"false" (CSV). Null when absent. */
    static Boolean bool(Row row, String column) {
        JsonNode v = row.get(column);
        if (v == null) return null;
        if (v.isBoolean()) return v.booleanValue();
        if (v.isTextual() && (v.textValue().equalsIgnoreCase("true") || v.textValue().equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(v.textValue().toLowerCase(java.util.Locale.ROOT));
        }
        return null;
    }

    /**
     * A KTO dataset's tag: true (desirable) or false (undesirable), also as the strings "true"/"false";
     * null when the dataset has no kto_tag column or the record leaves it out (then it is no KTO
     * example). Any other value is an invalid record, skipped with its value shown.
     */
    static Boolean ktoTag(Row row, String column) {
        JsonNode v = row.get(column);
        if (v == null) return null;
        Boolean tag = bool(row, column);
        if (tag == null) {
            throw new InvalidRecordException("kto_tag is not a boolean", "column \"" + column + "\" is "
                    + (v.isTextual() ? "the string \"" + v.textValue() + "\"" : describe(v)) + "; expected true or false");
        }
        return tag;
    }

    static String describe(JsonNode v) {
        if (v.isNumber()) return "a number (" + v + ")";
        if (v.isBoolean()) return "a boolean";
        if (v.isArray()) return "a list";
        if (v.isObject()) return "an object";
        return v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** The turns of a conversation column (sharegpt and openai formats); a record without a list there is invalid. */
    static List<JsonNode> messages(Row row, String column) {
        JsonNode messages = row.get(column);
        if (messages == null || !messages.isArray()) {
            throw new InvalidRecordException("messages column missing or not a list",
                    "column \"" + column + "\" is " + (messages == null ? "missing" : describe(messages)));
        }
        List<JsonNode> turns = new java.util.ArrayList<>();
        messages.forEach(turns::add);
        return turns;
    }
}
