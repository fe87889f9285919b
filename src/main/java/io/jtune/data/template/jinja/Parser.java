package io.jtune.data.template.jinja;

import io.jtune.data.template.jinja.Node.Expr;
import io.jtune.data.template.jinja.Node.Keyword;
import io.jtune.data.template.jinja.Node.Stmt;
import io.jtune.data.template.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Recursive descent over the tokens, with Jinja2's precedence (lowest first): conditional
 * expression, or, and, not, comparisons and {@code in}, {@code ~}, {@code + -}, {@code * / // %},
 * {@code **}, unary minus, then a primary with its postfixes (attribute, item, slice, call) and
 * its filters and tests.
 */
final class Parser {
    /** Statements that chat templates do not use and this subset does not implement. */
    private static final Set<String> UNSUPPORTED_TAGS =
            Set.of("include", "import", "from", "extends", "block", "call", "filter", "raw", "with", "autoescape", "do");

    private final Source source;
    private final List<Token> tokens;
    private int at;

    private Parser(Source source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    static List<Stmt> parse(Source source) {
        Parser parser = new Parser(source, Lexer.tokenize(source));
        return parser.statements(Set.of()); // with no enders it stops only at the end of the template
    }

    // ---------------------------------------------------------------- statements

    /** Statements up to (not including) a block tag whose name is in {@code enders}, or the end. */
    private List<Stmt> statements(Set<String> enders) {
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case END -> {
                    return out;
                }
                case TEXT -> {
                    next();
                    out.add(new Node.Text(t.text(), t.position()));
                }
                case VARIABLE_BEGIN -> {
                    next();
                    Expr value = expression();
                    expect(Kind.VARIABLE_END, "'}}'");
                    out.add(new Node.Print(value, t.position()));
                }
                case BLOCK_BEGIN -> {
                    Token name = tokens.get(at + 1);
                    if (name.kind() == Kind.NAME && enders.contains(name.text())) return out;
                    next();
                    out.add(statement(t));
                }
                default -> throw error(t, "unexpected " + t.describe());
            }
        }
    }

    private Stmt statement(Token begin) {
        Token name = next();
        if (name.kind() != Kind.NAME) throw error(name, "expected a statement name after '{%', got " + name.describe());
        return switch (name.text()) {
            case "if" -> ifStatement(begin);
            case "for" -> forStatement(begin);
            case "set" -> setStatement(begin);
            case "macro" -> macro(begin);
            case "break", "continue" -> {
                expectBlockEnd();
                yield new Node.LoopControl(name.text().equals("break"), begin.position());
            }
            case "generation" -> {
                expectBlockEnd();
                List<Stmt> body = statements(Set.of("endgeneration"));
                closeBlock("endgeneration", begin);
                yield new Node.Block(body, begin.position());
            }
            default -> {
                if (UNSUPPORTED_TAGS.contains(name.text())) {
                    throw error(name, "the '{% " + name.text() + " %}' statement is not supported by jtune's Jinja subset "
                            + "(see docs/templates.md)");
                }
                if (Set.of("elif", "else", "endif", "endfor", "endset", "endmacro", "endgeneration").contains(name.text())) {
                    throw error(name, "'{% " + name.text() + " %}' without an open block it belongs to");
                }
                throw error(name, "unknown statement '{% " + name.text() + " %}'");
            }
        };
    }

    private Stmt ifStatement(Token begin) {
        List<Node.Branch> branches = new ArrayList<>();
        Expr test = expression();
        expectBlockEnd();
        List<Stmt> otherwise = List.of();
        while (true) {
            List<Stmt> body = statements(Set.of("elif", "else", "endif"));
            branches.add(new Node.Branch(test, body));
            Token tag = blockTag(begin, "endif");
            if (tag.text().equals("elif")) {
                test = expression();
                expectBlockEnd();
                continue;
            }
            if (tag.text().equals("else")) {
                expectBlockEnd();
                otherwise = statements(Set.of("endif"));
                closeBlock("endif", begin);
            } else {
                expectBlockEnd();
            }
            return new Node.If(branches, otherwise, begin.position());
        }
    }

    private Stmt forStatement(Token begin) {
        List<String> targets = new ArrayList<>();
        do {
            targets.add(name("a loop variable"));
        } while (accept(","));
        Token in = next();
        if (!in.isName("in")) throw error(in, "expected 'in' in the for loop, got " + in.describe());
        Expr items = noConditional();
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = noConditional();
        }
        if (peek().isName("recursive")) throw error(peek(), "recursive for loops are not supported by jtune's Jinja subset");
        expectBlockEnd();
        List<Stmt> body = statements(Set.of("else", "endfor"));
        List<Stmt> otherwise = List.of();
        Token tag = blockTag(begin, "endfor");
        expectBlockEnd();
        if (tag.text().equals("else")) {
            otherwise = statements(Set.of("endfor"));
            closeBlock("endfor", begin);
        }
        return new Node.For(targets, items, filter, body, otherwise, begin.position());
    }

    private Stmt setStatement(Token begin) {
        String first = name("a variable name");
        if (accept(".")) {
            String attribute = name("an attribute name");
            expectOperator("=");
            Expr value = expression();
            expectBlockEnd();
            return new Node.Set(first, List.of(attribute), value, begin.position());
        }
        List<String> targets = new ArrayList<>(List.of(first));
        while (accept(",")) targets.add(name("a variable name"));
        if (peek().kind() == Kind.BLOCK_END && targets.size() == 1) {
            next();
            List<Stmt> body = statements(Set.of("endset"));
            closeBlock("endset", begin);
            return new Node.SetBlock(first, body, begin.position());
        }
        expectOperator("=");
        Expr value = tupleOrExpression();
        expectBlockEnd();
        return new Node.Set(null, targets, value, begin.position());
    }

    private Stmt macro(Token begin) {
        String name = name("the macro's name");
        expectOperator("(");
        List<Node.Param> params = new ArrayList<>();
        if (!accept(")")) {
            do {
                String param = name("a parameter name");
                Expr defaultValue = accept("=") ? expression() : null;
                params.add(new Node.Param(param, defaultValue));
            } while (accept(","));
            expectOperator(")");
        }
        expectBlockEnd();
        List<Stmt> body = statements(Set.of("endmacro"));
        closeBlock("endmacro", begin);
        return new Node.Macro(name, params, body, begin.position());
    }

    /** Consumes '{%' and the name of a block-continuing tag (elif/else/end...), failing at the end of the template. */
    private Token blockTag(Token opener, String ender) {
        if (peek().kind() == Kind.END) {
            throw error(opener, "the block is never closed (missing '{% " + ender + " %}')");
        }
        next(); // {%
        return next();
    }

    private void closeBlock(String ender, Token opener) {
        Token tag = blockTag(opener, ender);
        if (!tag.isName(ender)) throw error(tag, "expected '{% " + ender + " %}', got " + tag.describe());
        expectBlockEnd();
    }

    // ---------------------------------------------------------------- expressions

    private Expr expression() {
        Expr value = noConditional();
        while (peek().isName("if")) {
            Token t = next();
            Expr test = noConditional();
            Expr otherwise = null;
            if (peek().isName("else")) {
                next();
                otherwise = expression();
            }
            value = new Node.Conditional(test, value, otherwise, t.position());
        }
        return value;
    }

    /** An expression, or several separated by commas as a tuple ({@code set a, b = 1, 2}). */
    private Expr tupleOrExpression() {
        int start = peek().position();
        Expr first = expression();
        if (!peek().isOperator(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (accept(",")) items.add(expression());
        return new Node.TupleExpr(items, start);
    }

    private Expr noConditional() {
        return or();
    }

    private Expr or() {
        Expr left = and();
        while (peek().isName("or")) {
            Token t = next();
            left = new Node.Binary("or", left, and(), t.position());
        }
        return left;
    }

    private Expr and() {
        Expr left = not();
        while (peek().isName("and")) {
            Token t = next();
            left = new Node.Binary("and", left, not(), t.position());
        }
        return left;
    }

    private Expr not() {
        if (peek().isName("not")) {
            Token t = next();
            return new Node.Unary("not", not(), t.position());
        }
        return compare();
    }

    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private Expr compare() {
        Expr first = concat();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OPERATOR && COMPARISONS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && tokens.get(at + 1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            operands.add(concat());
        }
        return ops.isEmpty() ? first : new Node.Compare(first, ops, operands, first.position());
    }

    private Expr concat() {
        Expr left = additive();
        while (peek().isOperator("~")) {
            Token t = next();
            left = new Node.Binary("~", left, additive(), t.position());
        }
        return left;
    }

    private Expr additive() {
        Expr left = multiplicative();
        while (peek().isOperator("+") || peek().isOperator("-")) {
            Token t = next();
            left = new Node.Binary(t.text(), left, multiplicative(), t.position());
        }
        return left;
    }

    private Expr multiplicative() {
        Expr left = power();
        while (peek().isOperator("*") || peek().isOperator("/") || peek().isOperator("//") || peek().isOperator("%")) {
            Token t = next();
            left = new Node.Binary(t.text(), left, power(), t.position());
        }
        return left;
    }

    private Expr power() {
        Expr left = unary(true);
        while (peek().isOperator("**")) {
            Token t = next();
            left = new Node.Binary("**", left, unary(true), t.position());
        }
        return left;
    }

    /** Jinja2's parse_unary: a sign binds tighter than the filters that follow ({@code -x|abs} is abs(-x)). */
    private Expr unary(boolean withFilters) {
        Token t = peek();
        Expr value;
        if (t.isOperator("-") || t.isOperator("+")) {
            next();
            value = new Node.Unary(t.text(), unary(false), t.position());
        } else {
            value = postfix(primary());
        }
        return withFilters ? filtersAndTests(value) : value;
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Node.Literal(Boolean.TRUE, t.position());
                    case "false", "False" -> new Node.Literal(Boolean.FALSE, t.position());
                    case "none", "None" -> new Node.Literal(null, t.position());
                    default -> new Node.Name(t.text(), t.position());
                };
            }
            case STRING -> {
                StringBuilder text = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) text.append(next().text()); // adjacent literals join, as in Python
                return new Node.Literal(text.toString(), t.position());
            }
            case INTEGER -> {
                return new Node.Literal(Long.parseLong(t.text()), t.position());
            }
            case FLOAT -> {
                return new Node.Literal(Double.parseDouble(t.text()), t.position());
            }
            case OPERATOR -> {
                switch (t.text()) {
                    case "(" -> {
                        if (accept(")")) return new Node.TupleExpr(List.of(), t.position());
                        Expr first = expression();
                        if (accept(")")) return first;
                        List<Expr> items = new ArrayList<>(List.of(first));
                        while (accept(",")) {
                            if (peek().isOperator(")")) break;
                            items.add(expression());
                        }
                        expectOperator(")");
                        return new Node.TupleExpr(items, t.position());
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!accept("]")) {
                            items.add(expression());
                            if (!accept(",")) {
                                expectOperator("]");
                                break;
                            }
                        }
                        return new Node.ListExpr(items, t.position());
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!accept("}")) {
                            keys.add(expression());
                            expectOperator(":");
                            values.add(expression());
                            if (!accept(",")) {
                                expectOperator("}");
                                break;
                            }
                        }
                        return new Node.DictExpr(keys, values, t.position());
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw error(t, "expected a value, got " + t.describe());
    }

    private Expr postfix(Expr value) {
        while (true) {
            Token t = peek();
            if (t.isOperator(".")) {
                next();
                Token attr = next();
                if (attr.kind() == Kind.NAME) {
                    value = new Node.Attribute(value, attr.text(), t.position());
                } else if (attr.kind() == Kind.INTEGER) {
                    value = new Node.Item(value, new Node.Literal(Long.parseLong(attr.text()), attr.position()), t.position());
                } else {
                    throw error(attr, "expected an attribute name after '.', got " + attr.describe());
                }
            } else if (t.isOperator("[")) {
                next();
                value = subscript(value, t);
            } else if (t.isOperator("(")) {
                next();
                Arguments args = arguments();
                value = new Node.Call(value, args.positional, args.keywords, t.position());
            } else {
                return value;
            }
        }
    }

    private Expr subscript(Expr value, Token open) {
        Expr start = null, stop = null, step = null;
        if (!peek().isOperator(":")) {
            start = expression();
            if (accept("]")) return new Node.Item(value, start, open.position());
        }
        expectOperator(":");
        if (!peek().isOperator(":") && !peek().isOperator("]")) stop = expression();
        if (accept(":") && !peek().isOperator("]")) step = expression();
        expectOperator("]");
        return new Node.Slice(value, start, stop, step, open.position());
    }

    private record Arguments(List<Expr> positional, List<Keyword> keywords) {}

    /** Call arguments after '(' up to and including ')': positional first, then name=value. */
    private Arguments arguments() {
        List<Expr> positional = new ArrayList<>();
        List<Keyword> keywords = new ArrayList<>();
        while (!accept(")")) {
            if (peek().isOperator("*") || peek().isOperator("**")) {
                throw error(peek(), "argument unpacking ('*' / '**') is not supported by jtune's Jinja subset");
            }
            if (peek().kind() == Kind.NAME && tokens.get(at + 1).isOperator("=")) {
                String name = next().text();
                next();
                keywords.add(new Keyword(name, expression()));
            } else {
                if (!keywords.isEmpty()) throw error(peek(), "a positional argument follows a keyword argument");
                positional.add(expression());
            }
            if (!accept(",")) {
                expectOperator(")");
                break;
            }
        }
        return new Arguments(positional, keywords);
    }

    private Expr filtersAndTests(Expr value) {
        while (true) {
            Token t = peek();
            if (t.isOperator("|")) {
                next();
                Token nameToken = peek();
                String name = dottedName("a filter name");
                if (!Filters.NAMES.contains(name)) {
                    throw error(nameToken, "the filter '" + name + "' is not supported by jtune's Jinja subset (supported: "
                            + String.join(", ", new java.util.TreeSet<>(Filters.NAMES)) + ")");
                }
                Arguments args = accept("(") ? arguments() : new Arguments(List.of(), List.of());
                value = new Node.Filter(value, name, args.positional, args.keywords, t.position());
            } else if (t.isName("is")) {
                next();
                boolean negated = false;
                if (peek().isName("not")) {
                    next();
                    negated = true;
                }
                Token nameToken = next();
                if (nameToken.kind() != Kind.NAME) throw error(nameToken, "expected a test name after 'is', got " + nameToken.describe());
                if (!Tests.NAMES.contains(nameToken.text())) {
                    throw error(nameToken, "the test '" + nameToken.text() + "' is not supported by jtune's Jinja subset (supported: "
                            + String.join(", ", new java.util.TreeSet<>(Tests.NAMES)) + ")");
                }
                List<Expr> args = List.of();
                if (accept("(")) {
                    Arguments a = arguments();
                    args = a.positional;
                } else if (startsTestArgument(peek())) {
                    args = List.of(unary(false)); // "is divisibleby 3", "is sameas false"
                }
                value = new Node.Test(value, nameToken.text(), args, negated, t.position());
            } else {
                return value;
            }
        }
    }

    /** Jinja2 takes one argument without parentheses when a value, not an operator or keyword, follows. */
    private static boolean startsTestArgument(Token t) {
        return switch (t.kind()) {
            case STRING, INTEGER, FLOAT -> true;
            case NAME -> !Set.of("and", "or", "if", "else", "in", "not", "is").contains(t.text());
            default -> false;
        };
    }

    private String dottedName(String what) {
        StringBuilder name = new StringBuilder(name(what));
        while (peek().isOperator(".") && tokens.get(at + 1).kind() == Kind.NAME) {
            next();
            name.append('.').append(next().text());
        }
        return name.toString();
    }

    // ---------------------------------------------------------------- token helpers

    private Token peek() {
        return tokens.get(at);
    }

    private Token next() {
        Token t = tokens.get(at);
        if (t.kind() != Kind.END) at++;
        return t;
    }

    private boolean accept(String operator) {
        if (peek().isOperator(operator)) {
            next();
            return true;
        }
        return false;
    }

    private void expectOperator(String operator) {
        Token t = next();
        if (!t.isOperator(operator)) throw error(t, "expected '" + operator + "', got " + t.describe());
    }

    private void expect(Kind kind, String what) {
        Token t = next();
        if (t.kind() != kind) throw error(t, "expected " + what + ", got " + t.describe());
    }

    private void expectBlockEnd() {
        expect(Kind.BLOCK_END, "'%}'");
    }

    private String name(String what) {
        Token t = next();
        if (t.kind() != Kind.NAME) throw error(t, "expected " + what + ", got " + t.describe());
        return t.text();
    }

    private JinjaException error(Token t, String what) {
        return JinjaException.at(source, t.position(), what);
    }
}
