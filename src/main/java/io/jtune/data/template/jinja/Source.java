package io.jtune.data.template.jinja;

/** A template's text and the name errors call it by (e.g. "chat_template of tokenizer_config.json"). */
record Source(String name, String text) {

    /** "line L, column C" (both from 1) of a character offset, for error messages. */
    String locate(int offset) {
        int line = 1, column = 1;
        for (int i = 0; i < Math.min(offset, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return "line " + line + ", column " + column;
    }
}
