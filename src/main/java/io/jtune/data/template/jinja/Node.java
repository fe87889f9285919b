package io.jtune.data.template.jinja;

import java.util.List;

/** The syntax tree: statements that write output, and expressions that compute values. */
sealed interface Node {
    /** Character offset in the source, for error messages. */
    int position();

    // ---------------------------------------------------------------- statements

    sealed interface Stmt extends Node {}

    /** Literal template text. */
    record Text(String text, int position) implements Stmt {}

    /** {@code {{ expr }}}. */
    record Print(Expr value, int position) implements Stmt {}

    /** {@code {% if %}...{% elif %}...{% else %}...{% endif %}}: the first branch whose test holds runs. */
    record If(List<Branch> branches, List<Stmt> otherwise, int position) implements Stmt {}

    record Branch(Expr test, List<Stmt> body) {}

    /**
     * {@code {% for a, b in items if test %}...{% else %}...{% endfor %}}; the else body runs when
     * no item passed.
     */
    record For(List<String> targets, Expr items, Expr filter, List<Stmt> body, List<Stmt> otherwise, int position)
            implements Stmt {}

    /** {@code {% set a = v %}}, {@code {% set a, b = v %}} or {@code {% set ns.attr = v %}} (namespace non-null). */
    record Set(String namespace, List<String> targets, Expr value, int position) implements Stmt {}

    /** {@code {% set name %}...{% endset %}}: the rendered body becomes the variable. */
    record SetBlock(String target, List<Stmt> body, int position) implements Stmt {}

    /** {@code {% macro name(a, b=default) %}...{% endmacro %}}. */
    record Macro(String name, List<Param> params, List<Stmt> body, int position) implements Stmt {}

    record Param(String name, Expr defaultValue) {}

    /** {@code {% break %}} and {@code {% continue %}} (Jinja2's loopcontrols, which transformers enables). */
    record LoopControl(boolean isBreak, int position) implements Stmt {}

    /** A body rendered as is: transformers' {@code {% generation %}} marker block. */
    record Block(List<Stmt> body, int position) implements Stmt {}

    // ---------------------------------------------------------------- expressions

    sealed interface Expr extends Node {}

    record Literal(Object value, int position) implements Expr {}

    record Name(String name, int position) implements Expr {}

    record ListExpr(List<Expr> items, int position) implements Expr {}

    record TupleExpr(List<Expr> items, int position) implements Expr {}

    record DictExpr(List<Expr> keys, List<Expr> values, int position) implements Expr {}

    /** {@code obj.name}: Python's getattr first, then the item. */
    record Attribute(Expr object, String name, int position) implements Expr {}

    /** {@code obj[key]}: the item first, then getattr. */
    record Item(Expr object, Expr key, int position) implements Expr {}

    /** {@code obj[start:stop:step]}, each part optional (null). */
    record Slice(Expr object, Expr start, Expr stop, Expr step, int position) implements Expr {}

    record Call(Expr callee, List<Expr> args, List<Keyword> kwargs, int position) implements Expr {}

    record Keyword(String name, Expr value) {}

    /** {@code value | name(args)}. */
    record Filter(Expr operand, String name, List<Expr> args, List<Keyword> kwargs, int position) implements Expr {}

    /** {@code value is [not] name(args)}. */
    record Test(Expr operand, String name, List<Expr> args, boolean negated, int position) implements Expr {}

    /** {@code not x}, {@code -x}, {@code +x}. */
    record Unary(String operator, Expr operand, int position) implements Expr {}

    /** Arithmetic, {@code ~}, {@code and}, {@code or}. */
    record Binary(String operator, Expr left, Expr right, int position) implements Expr {}

    /** {@code a < b == c}, {@code x in y}, {@code x not in y}: a chain, each link against the previous operand. */
    record Compare(Expr first, List<String> operators, List<Expr> operands, int position) implements Expr {}

    /** {@code a if test else b}; without else the value is undefined when the test fails. */
    record Conditional(Expr test, Expr then, Expr otherwise, int position) implements Expr {}
}
