package io.jtune.data.template.jinja;

import io.jtune.data.template.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and tag tokens with the whitespace rules transformers renders chat
 * templates under (Jinja2 with trim_blocks and lstrip_blocks, keep_trailing_newline off):
 * <ul>
 *   <li>a single trailing newline of the template is dropped;</li>
 *   <li>{@code {%-}, {@code {{-}, {@code {#-} strip all whitespace before the tag, {@code -%}},
 *       {@code -}}}, {@code -#}} all whitespace after it;</li>
 *   <li>trim_blocks: the first newline after a {@code %}} or {@code #}} is removed;</li>
 *   <li>lstrip_blocks: spaces and tabs between the start of a line and a {@code {%} or {@code {#}
 *       are removed ({@code {%+} keeps them, {@code +%}} keeps the newline).</li>
 * </ul>
 */
final class Lexer {
    private final Source source;
    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;

    private Lexer(Source source) {
        this.source = source;
        String text = source.text();
        if (text.endsWith("\r\n")) text = text.substring(0, text.length() - 2);
        else if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        this.src = text;
    }

    static List<Token> tokenize(Source source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        boolean stripLeading = false;   // the previous tag ended with '-'
        boolean lineStarting = true;    // the text begins at the start of a line
        while (pos <= src.length()) {
            int tag = nextTag(pos);
            int textEnd = tag < 0 ? src.length() : tag;
            String text = src.substring(pos, textEnd);
            if (stripLeading) text = text.stripLeading();
            if (tag >= 0) {
                char kind = src.charAt(tag + 1);
                char modifier = tag + 2 < src.length() ? src.charAt(tag + 2) : ' ';
                if (modifier == '-') {
                    text = text.stripTrailing();
                } else if (modifier != '+' && kind != '{') {
                    text = lstripBlock(text, lineStarting);
                }
            }
            if (!text.isEmpty()) tokens.add(new Token(Kind.TEXT, text, pos));
            if (tag < 0) break;
            char kind = src.charAt(tag + 1);
            pos = tag + 2;
            if (pos < src.length() && (src.charAt(pos) == '-' || src.charAt(pos) == '+')) pos++;
            TagEnd end = switch (kind) {
                case '#' -> skipComment(tag);
                case '%' -> expressionTokens(tag, Kind.BLOCK_BEGIN, Kind.BLOCK_END, '%');
                default -> expressionTokens(tag, Kind.VARIABLE_BEGIN, Kind.VARIABLE_END, '}');
            };
            stripLeading = end.strip;
            lineStarting = false;
            if (kind != '{' && !end.strip && !end.keepNewline) {
                // trim_blocks: the newline right after a block or comment tag goes.
                if (src.startsWith("\r\n", pos)) {
                    pos += 2;
                    lineStarting = true;
                } else if (src.startsWith("\n", pos)) {
                    pos += 1;
                    lineStarting = true;
                }
            }
        }
        tokens.add(new Token(Kind.END, "", src.length()));
    }

    /** How a tag ended: with '-' (strip what follows) or '+' (keep the newline trim_blocks would take). */
    private record TagEnd(boolean strip, boolean keepNewline) {}

    private int nextTag(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** lstrip_blocks: drops the spaces and tabs that are all that stands between a line start and the tag. */
    private static String lstripBlock(String text, boolean lineStarting) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        for (int i = lineStart; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t') return text;
        }
        return text.substring(0, lineStart);
    }

    private TagEnd skipComment(int tag) {
        int close = src.indexOf("#}", pos);
        if (close < 0) throw JinjaException.at(source, tag, "the comment is never closed (missing '#}')");
        boolean strip = close > pos && src.charAt(close - 1) == '-';
        boolean keep = close > pos && src.charAt(close - 1) == '+';
        pos = close + 2;
        return new TagEnd(strip, keep);
    }

    private TagEnd expressionTokens(int tag, Kind begin, Kind endKind, char closer) {
        tokens.add(new Token(begin, "", tag));
        int depth = 0;
        while (true) {
            skipSpaces();
            if (pos >= src.length()) {
                throw JinjaException.at(source, tag, "the tag is never closed (missing '" + closer + "}')");
            }
            char c = src.charAt(pos);
            if (depth == 0 && (c == '-' || c == '+') && src.startsWith(closer + "}", pos + 1)) {
                tokens.add(new Token(endKind, "", pos));
                pos += 3;
                return new TagEnd(c == '-', c == '+');
            }
            if (depth == 0 && c == closer && src.startsWith("}", pos + 1)) {
                tokens.add(new Token(endKind, "", pos));
                pos += 2;
                return new TagEnd(false, false);
            }
            if (c == '\'' || c == '"') {
                stringLiteral();
            } else if (Character.isDigit(c)) {
                number();
            } else if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                tokens.add(new Token(Kind.NAME, src.substring(start, pos), start));
            } else {
                String op = operator();
                if (op == null) throw JinjaException.at(source, pos, "unexpected character '" + c + "' inside a tag");
                if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
                if (op.equals(")") || op.equals("]") || op.equals("}")) depth = Math.max(0, depth - 1);
                tokens.add(new Token(Kind.OPERATOR, op, pos));
                pos += op.length();
            }
        }
    }

    private static final String[] OPERATORS = {
        "==", "!=", "<=", ">=", "//", "**",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"
    };

    private String operator() {
        for (String op : OPERATORS) if (src.startsWith(op, pos)) return op;
        return null;
    }

    private void skipSpaces() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
    }

    private void number() {
        int start = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))
                && !previousIsDot(start)) {
            isFloat = true;
            pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            } else {
                pos = save;
            }
        }
        tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INTEGER, src.substring(start, pos).replace("_", ""), start));
    }

    /** In {@code messages.0.content}, "0" is an attribute, not the start of "0.content". */
    private boolean previousIsDot(int start) {
        return !tokens.isEmpty() && tokens.getLast().isOperator(".") && tokens.getLast().position() == start - 1;
    }

    /** A quoted string with Python's backslash escapes, as Jinja2 decodes literals. */
    private void stringLiteral() {
        int start = pos;
        char quote = src.charAt(pos++);
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= src.length()) throw JinjaException.at(source, start, "the string is never closed");
            char c = src.charAt(pos++);
            if (c == quote) break;
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= src.length()) throw JinjaException.at(source, start, "the string is never closed");
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'v' -> out.append('\u000b');
                case 'a' -> out.append('\u0007');
                case '0' -> out.append('\0');
                case '\\', '\'', '"' -> out.append(e);
                case '\n' -> { } // a backslash at the end of a line continues the string
                case 'x' -> out.append((char) hex(start, 2));
                case 'u' -> out.append((char) hex(start, 4));
                case 'U' -> out.appendCodePoint(hex(start, 8));
                default -> out.append('\\').append(e); // Python keeps unknown escapes as written
            }
        }
        tokens.add(new Token(Kind.STRING, out.toString(), start));
    }

    private int hex(int start, int digits) {
        if (pos + digits > src.length()) throw JinjaException.at(source, start, "a truncated \\x/\\u escape in a string");
        try {
            int value = Integer.parseInt(src.substring(pos, pos + digits), 16);
            pos += digits;
            return value;
        } catch (NumberFormatException e) {
            throw JinjaException.at(source, start, "a malformed \\x/\\u escape in a string");
        }
    }
}
