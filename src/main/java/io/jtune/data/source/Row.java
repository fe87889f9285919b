package io.jtune.data.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One record as read from a data file, with where it came from ("file:line") for messages. */
public record Row(ObjectNode fields, String origin) {

    /** The column's value, or null when absent or JSON null (HF datasets fills missing columns with None). */
    public JsonNode get(String column) {
        if (column == null) return null;
        JsonNode v = fields.get(column);
        return v == null || v.isNull() ? null : v;
    }
}
