package io.jtune.data.template.jinja;

import static io.jtune.data.template.jinja.Values.error;

import io.jtune.data.template.jinja.Node.Expr;
import io.jtune.data.template.jinja.Node.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the syntax tree, writing output. Scoping follows Jinja2: a for loop and a macro call get
 * their own scope (a {@code set} inside them is not seen after them, which is why templates carry
 * state out of loops in a {@code namespace()}); {@code if} does not.
 */
final class Interpreter {
    private final Source source;

    Interpreter(Source source) {
        this.source = source;
    }

    /** Variables of one scope, falling back to the enclosing one. */
    static final class Scope {
        private final Map<String, Object> vars = new HashMap<>();
        private final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) return s.vars.get(name);
            }
            return new Undefined("'" + name + "'");
        }

        void set(String name, Object value) {
            vars.put(name, value);
        }
    }

    private static final class LoopControl extends RuntimeException {
        final boolean isBreak;

        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopControl BREAK = new LoopControl(true);
    private static final LoopControl CONTINUE = new LoopControl(false);

    // ---------------------------------------------------------------- statements

    void render(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) execute(s, scope, out);
    }

    private void execute(Stmt stmt, Scope scope, StringBuilder out) {
        try {
            switch (stmt) {
                case Node.Text t -> out.append(t.text());
                case Node.Print p -> out.append(Values.str(eval(p.value(), scope)));
                case Node.If s -> {
                    for (Node.Branch b : s.branches()) {
                        if (Values.truthy(eval(b.test(), scope))) {
                            render(b.body(), scope, out);
                            return;
                        }
                    }
                    render(s.otherwise(), scope, out);
                }
                case Node.For f -> forLoop(f, scope, out);
                case Node.Set s -> assign(s, scope);
                case Node.SetBlock s -> {
                    StringBuilder body = new StringBuilder();
                    render(s.body(), scope, body);
                    scope.set(s.target(), body.toString());
                }
                case Node.Macro m -> scope.set(m.name(), macro(m, scope));
                case Node.LoopControl c -> throw c.isBreak() ? BREAK : CONTINUE;
                case Node.Block b -> render(b.body(), scope, out);
            }
        } catch (Values.TemplateError e) {
            throw JinjaException.at(source, stmt.position(), e.getMessage());
        }
    }

    private void forLoop(Node.For f, Scope scope, StringBuilder out) {
        Scope loopScope = new Scope(scope);
        List<Object> items = Values.iterate(eval(f.items(), loopScope));
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                bindTargets(f.targets(), item, loopScope);
                if (Values.truthy(eval(f.filter(), loopScope))) kept.add(item);
            }
            items = kept;
        }
        int n = items.size();
        for (int i = 0; i < n; i++) {
            bindTargets(f.targets(), items.get(i), loopScope);
            loopScope.set("loop", loopObject(items, i));
            try {
                render(f.body(), loopScope, out);
            } catch (LoopControl c) {
                if (c.isBreak) break;
            }
        }
        if (n == 0) render(f.otherwise(), loopScope, out);
    }

    private static Map<String, Object> loopObject(List<Object> items, int i) {
        int n = items.size();
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("index", (long) i + 1);
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("depth", 1L);
        loop.put("depth0", 0L);
        loop.put("previtem", i > 0 ? items.get(i - 1) : new Undefined("'loop.previtem' (there is no previous item)"));
        loop.put("nextitem", i < n - 1 ? items.get(i + 1) : new Undefined("'loop.nextitem' (there is no next item)"));
        loop.put("cycle", (JinjaCallable) (args, kwargs) -> {
            if (args.isEmpty()) throw error("loop.cycle() needs at least one value");
            return args.get(i % args.size());
        });
        return loop;
    }

    private static void bindTargets(List<String> targets, Object item, Scope scope) {
        if (targets.size() == 1) {
            scope.set(targets.getFirst(), item);
            return;
        }
        List<Object> values = Values.iterate(item);
        if (values.size() != targets.size()) {
            throw error("cannot unpack " + values.size() + " value(s) into " + targets.size() + " variables " + targets);
        }
        for (int i = 0; i < targets.size(); i++) scope.set(targets.get(i), values.get(i));
    }

    private void assign(Node.Set s, Scope scope) {
        Object value = eval(s.value(), scope);
        if (s.namespace() != null) {
            Object ns = scope.lookup(s.namespace());
            if (!(ns instanceof Namespace namespace)) {
                throw error("cannot set an attribute of '" + s.namespace() + "', a " + Values.typeName(ns)
                        + " (only a namespace() takes assignments)");
            }
            namespace.attributes.put(s.targets().getFirst(), value);
            return;
        }
        bindTargets(s.targets(), value, scope);
    }

    private JinjaCallable macro(Node.Macro m, Scope definition) {
        return (args, kwargs) -> {
            Scope local = new Scope(definition);
            Map<String, Object> extraKeywords = new LinkedHashMap<>(kwargs);
            for (int i = 0; i < m.params().size(); i++) {
                Node.Param p = m.params().get(i);
                Object value;
                if (i < args.size()) value = args.get(i);
                else if (extraKeywords.containsKey(p.name())) value = extraKeywords.remove(p.name());
                else if (p.defaultValue() != null) value = eval(p.defaultValue(), local);
                else value = new Undefined("'" + p.name() + "' (an argument of macro " + m.name() + ")");
                local.set(p.name(), value);
            }
            local.set("varargs", args.size() > m.params().size() ? new ArrayList<>(args.subList(m.params().size(), args.size())) : new ArrayList<>());
            local.set("kwargs", extraKeywords);
            StringBuilder out = new StringBuilder();
            render(m.body(), local, out);
            return out.toString();
        };
    }

    // ---------------------------------------------------------------- expressions

    Object eval(Expr expr, Scope scope) {
        try {
            return evaluate(expr, scope);
        } catch (Values.TemplateError e) {
            throw JinjaException.at(source, expr.position(), e.getMessage());
        }
    }

    private Object evaluate(Expr expr, Scope scope) {
        return switch (expr) {
            case Node.Literal l -> l.value();
            case Node.Name n -> scope.lookup(n.name());
            case Node.ListExpr l -> evalAll(l.items(), scope);
            case Node.TupleExpr t -> evalAll(t.items(), scope);
            case Node.DictExpr d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
                yield map;
            }
            case Node.Attribute a -> attribute(eval(a.object(), scope), a.name());
            case Node.Item i -> item(eval(i.object(), scope), eval(i.key(), scope));
            case Node.Slice s -> Values.slice(eval(s.object(), scope), sliceBound(s.start(), scope),
                    sliceBound(s.stop(), scope), sliceBound(s.step(), scope));
            case Node.Call c -> call(c, scope);
            case Node.Filter f -> Filters.apply(f.name(), eval(f.operand(), scope), evalAll(f.args(), scope), evalKeywords(f.kwargs(), scope));
            case Node.Test t -> {
                boolean result = Tests.apply(t.name(), eval(t.operand(), scope), evalAll(t.args(), scope));
                yield result != t.negated();
            }
            case Node.Unary u -> switch (u.operator()) {
                case "not" -> !Values.truthy(eval(u.operand(), scope));
                default -> Operators.negate(eval(u.operand(), scope), u.operator().equals("-"));
            };
            case Node.Binary b -> binary(b, scope);
            case Node.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.operators().size(); i++) {
                    Object right = eval(c.operands().get(i), scope);
                    if (!compare(c.operators().get(i), left, right)) yield false;
                    left = right;
                }
                yield true;
            }
            case Node.Conditional c -> Values.truthy(eval(c.test(), scope))
                    ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("the conditional expression's missing else") : eval(c.otherwise(), scope);
        };
    }

    private Object binary(Node.Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        return switch (b.operator()) {
            case "and" -> Values.truthy(left) ? eval(b.right(), scope) : left;
            case "or" -> Values.truthy(left) ? left : eval(b.right(), scope);
            case "~" -> Values.str(left) + Values.str(eval(b.right(), scope));
            default -> Operators.binary(b.operator(), left, eval(b.right(), scope));
        };
    }

    private static boolean compare(String op, Object left, Object right) {
        return switch (op) {
            case "==" -> Values.equal(left, right);
            case "!=" -> !Values.equal(left, right);
            case "in" -> Values.contains(right, left);
            case "not in" -> !Values.contains(right, left);
            default -> {
                int c = Values.compare(left, right, op);
                yield switch (op) {
                    case "<" -> c < 0;
                    case ">" -> c > 0;
                    case "<=" -> c <= 0;
                    default -> c >= 0;
                };
            }
        };
    }

    private Long sliceBound(Expr e, Scope scope) {
        if (e == null) return null;
        Object v = eval(e, scope);
        if (v == null) return null;
        if (!Values.isIntegral(v)) throw error("slice indices must be integers, got " + Values.typeName(v));
        return Values.asLong(v);
    }

    private Object call(Node.Call c, Scope scope) {
        Object callee = eval(c.callee(), scope);
        List<Object> args = evalAll(c.args(), scope);
        Map<String, Object> kwargs = evalKeywords(c.kwargs(), scope);
        if (callee instanceof JinjaCallable f) return f.call(args, kwargs);
        if (callee instanceof Undefined u) {
            // a method the subset lacks ('str object' has no attribute 'zfill') or a missing function
            throw error(u.describe() + (u.what().contains(" has no attribute ") ? " (not a method jtune's Jinja subset supports)" : "")
                    + ", so it cannot be called");
        }
        throw error("a " + Values.typeName(callee) + " is not callable");
    }

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr e : exprs) out.add(eval(e, scope));
        return out;
    }

    private Map<String, Object> evalKeywords(List<Node.Keyword> kwargs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Node.Keyword k : kwargs) out.put(k.name(), eval(k.value(), scope));
        return out;
    }

    // ---------------------------------------------------------------- attribute and item access

    /** {@code obj.name}: a method of a str or dict, else the dict's key; missing gives undefined. */
    static Object attribute(Object obj, String name) {
        return switch (obj) {
            case Undefined u -> throw error(u.describe());
            case Map<?, ?> map -> {
                JinjaCallable method = Methods.bind(map, name);
                if (method != null) yield method;
                yield map.containsKey(name) ? map.get(name) : new Undefined("'dict object' has no attribute '" + name + "'");
            }
            case Namespace n -> n.attributes.containsKey(name) ? n.attributes.get(name)
                    : new Undefined("the namespace has no attribute '" + name + "'");
            case null -> new Undefined("'None' has no attribute '" + name + "'");
            default -> {
                JinjaCallable method = Methods.bind(obj, name);
                yield method != null ? method
                        : new Undefined("'" + Values.typeName(obj) + " object' has no attribute '" + name + "'");
            }
        };
    }

    /** {@code obj[key]}: the item first (a dict's key, a list's or string's index), then the attribute. */
    static Object item(Object obj, Object key) {
        return switch (obj) {
            case null -> new Undefined("'None' has no element " + Values.repr(key));
            case Undefined u -> throw error(u.describe());
            case Map<?, ?> map -> {
                if (map.containsKey(key)) yield map.get(key);
                if (key instanceof String name && Methods.bind(map, name) != null) yield Methods.bind(map, name);
                yield new Undefined("'dict object' has no attribute '" + Values.str(key) + "'");
            }
            case List<?> list when Values.isIntegral(key) -> Values.index(list, Values.asLong(key));
            case String s when Values.isIntegral(key) -> Values.index(s, Values.asLong(key));
            case Namespace n when key instanceof String name -> attribute(n, name);
            default -> key instanceof String name ? attribute(obj, name)
                    : new Undefined("'" + Values.typeName(obj) + " object' has no element " + Values.repr(key));
        };
    }
}
