package io.jtune.data.source;

/**
 * One entry of dataset_info.json, with LLaMA-Factory's defaults (parser.DatasetAttr): the
 * columns of the alpaca format default to instruction / input / output, the sharegpt messages
 * column to "conversations" and its tags to from / value / human / gpt / observation /
 * function_call / system.
 */
public record DatasetAttr(
        String name,
        String fileName,
        String formatting,
        boolean ranking,
        String subset,
        String split,
        String folder,
        Integer numSamples,
        Columns columns,
        Tags tags) {

    /** Column names in the data file; null means "not used". */
    public record Columns(String prompt, String query, String response, String history, String messages,
                          String system, String tools, String chosen, String rejected, String ktoTag) {
        public static Columns defaults() {
            return new Columns("instruction", "input", "output", null, "conversations", null, null, null, null, null);
        }
    }

    /** How sharegpt messages name their role and content, and the role values. */
    public record Tags(String role, String content, String user, String assistant, String observation,
                       String function, String system) {
        public static Tags defaults() {
            return new Tags("from", "value", "human", "gpt", "observation", "function_call", "system");
        }
    }
}
