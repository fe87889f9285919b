package io.jtune.data.template.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.data.template.jinja.Node.Stmt;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled Jinja template, rendered the way transformers renders chat templates (Jinja2 with
 * trim_blocks, lstrip_blocks and loop controls; its {@code tojson}; the globals
 * {@code raise_exception} and {@code strftime_now}). Only the subset of Jinja that chat templates
 * use is implemented (docs/templates.md lists it); anything else fails to compile or render with a
 * {@link JinjaException} that names the construct and its line and column.
 *
 * <p>Context values are plain Java values (String, numbers, Boolean, null, List, Map) or Jackson
 * trees; a template cannot change them.
 */
public final class JinjaTemplate {
    private final Source source;
    private final List<Stmt> body;
    private final Clock clock;

    private JinjaTemplate(Source source, List<Stmt> body, Clock clock) {
        this.source = source;
        this.body = body;
        this.clock = clock;
    }

    /**
     * Parses {@code text}; {@code name} is how errors refer to it (e.g. "the chat_template in
     * model/tokenizer_config.json").
     */
    public static JinjaTemplate compile(String name, String text) {
        Source source = new Source(name, text);
        return new JinjaTemplate(source, Parser.parse(source), Clock.systemDefaultZone());
    }

    /** The same template with {@code strftime_now} reading {@code clock} (tests pin the date). */
    public JinjaTemplate withClock(Clock newClock) {
        return new JinjaTemplate(source, body, newClock);
    }

    public String render(Map<String, ?> context) {
        Interpreter.Scope globals = new Interpreter.Scope(null);
        defineGlobals(globals);
        Interpreter.Scope scope = new Interpreter.Scope(globals);
        for (Map.Entry<String, ?> e : context.entrySet()) scope.set(e.getKey(), toValue(e.getValue()));
        StringBuilder out = new StringBuilder();
        try {
            new Interpreter(source).render(body, scope, out);
        } catch (StackOverflowError e) {
            throw new JinjaException(source.name() + ": the template recurses too deeply (a macro calling itself without end?)", false);
        }
        return out.toString();
    }

    private void defineGlobals(Interpreter.Scope globals) {
        globals.set("raise_exception", (JinjaCallable) (args, kwargs) -> {
            throw JinjaException.raised(source, args.isEmpty() ? "(no message)" : Values.str(args.getFirst()));
        });
        globals.set("strftime_now", (JinjaCallable) (args, kwargs) -> {
            Args a = new Args("strftime_now()", args, kwargs);
            String format = a.string(0, "format", null);
            a.done();
            if (format == null) throw Values.error("strftime_now() needs a format");
            return Strftime.format(LocalDateTime.now(clock), format);
        });
        globals.set("range", (JinjaCallable) (args, kwargs) -> range(args));
        globals.set("namespace", (JinjaCallable) (args, kwargs) -> {
            Namespace ns = new Namespace();
            if (args.size() > 1) throw Values.error("namespace() takes at most one positional argument");
            if (args.size() == 1) {
                if (!(args.getFirst() instanceof Map<?, ?> initial)) throw Values.error("namespace() takes a dict or keywords");
                initial.forEach((k, v) -> ns.attributes.put(Values.str(k), v));
            }
            ns.attributes.putAll(kwargs);
            return ns;
        });
        globals.set("dict", (JinjaCallable) (args, kwargs) -> {
            Map<Object, Object> out = new LinkedHashMap<>();
            if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> initial) out.putAll(initial);
            out.putAll(kwargs);
            return out;
        });
    }

    private static List<Object> range(List<Object> args) {
        for (Object a : args) if (!Values.isIntegral(a)) throw Values.error("range() needs integers, got " + Values.typeName(a));
        long start = 0, stop, step = 1;
        switch (args.size()) {
            case 1 -> stop = Values.asLong(args.get(0));
            case 2 -> {
                start = Values.asLong(args.get(0));
                stop = Values.asLong(args.get(1));
            }
            case 3 -> {
                start = Values.asLong(args.get(0));
                stop = Values.asLong(args.get(1));
                step = Values.asLong(args.get(2));
            }
            default -> throw Values.error("range() takes 1 to 3 arguments, got " + args.size());
        }
        if (step == 0) throw Values.error("range() step must not be zero");
        if (Math.abs((stop - start) / step) > 1_000_000) throw Values.error("range() is too long for a chat template");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }

    /** A context value as the interpreter sees it: ints as Long, floats as Double, JSON trees as maps and lists. */
    static Object toValue(Object v) {
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Double d -> d;
            case Float f -> (double) f;
            case JsonNode node -> fromJson(node);
            case Map<?, ?> map -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                map.forEach((k, x) -> out.put(String.valueOf(k), toValue(x)));
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>();
                for (Object x : c) out.add(toValue(x));
                yield out;
            }
            default -> throw new IllegalArgumentException("a template context value must be JSON-like, got " + v.getClass());
        };
    }

    private static Object fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) return null;
        if (node.isTextual()) return node.textValue();
        if (node.isBoolean()) return node.booleanValue();
        if (node.isIntegralNumber()) return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
        if (node.isNumber()) return node.doubleValue();
        if (node.isArray()) {
            List<Object> out = new ArrayList<>();
            node.forEach(x -> out.add(fromJson(x)));
            return out;
        }
        Map<Object, Object> out = new LinkedHashMap<>();
        node.properties().forEach(e -> out.put(e.getKey(), fromJson(e.getValue())));
        return out;
    }
}
