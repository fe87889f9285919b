package io.jtune.data.template.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What ChatTemplateParityTest cannot check against @huggingface/jinja: Python's Jinja2 semantics
 * where that implementation departs from them or lacks a feature (expected values written from
 * Jinja2's documented behaviour), and the errors for templates outside the supported subset.
 */
class JinjaTemplateTest {

    private static String render(String template, Map<String, ?> context) {
        return JinjaTemplate.compile("test template", template).render(context);
    }

    private static String render(String template) {
        return render(template, Map.of());
    }

    @Test
    void followsPythonWhereHuggingFaceJinjaDoesNot() {
        assertEquals("[x][  x  ]", render("[{{ '\\n\\nx\\n'.strip('\\n') }}][{{ '\\n  x  '.lstrip('\\n') }}]"));
        assertEquals("x  |  y", render("{{ '\\n\\nx  '.lstrip('\\n') }}|{{ '  y\\n'.rstrip('\\n') }}"));
        assertEquals("True False None", render("{{ true }} {{ false }} {{ none }}"));
        assertEquals("Hello world", render("{{ 'hello WORLD'.capitalize() }}"));
        assertEquals("-----", render("{{ '-' * 5 }}"));
        assertEquals("[1, 'a', None]", render("{{ [1, 'a', none] }}"));
        assertEquals("{'k': [1.5, True]}", render("{{ {'k': [1.5, true]} }}"));
        assertEquals("1,3", render("{{ [1, 2, 3, 4] | select('odd') | select('lt', 4) | join(',') }}"));
        assertEquals("yes", render("{% if 9 is divisibleby 3 %}yes{% endif %}"));
        assertEquals("2.5 3.0", render("{{ 2.456 | round(1) }} {{ 2.5 | round }}"));
        assertEquals("6 1 4", render("{{ [1, 2, 3] | sum }} {{ [3, 1, 2] | min }} {{ [3, 4, 2] | max }}"));
        assertEquals("3", render("{{ 'a,b,c'.count('') - 1 - 'abc'.find('c') }}"));
        assertEquals("['a', 'b,c']", render("{{ 'a,b,c'.split(',', 1) }}"));
        assertEquals("['a,b', 'c']", render("{{ 'a,b,c'.rsplit(',', 1) }}"));
        assertEquals("xbb", render("{{ 'bbb'.replace('b', 'x', 1) }}"));
    }

    @Test
    void whitespaceControlKeepsWithPlus() {
        assertEquals("  a\n", render("  {%+ if true %}a\n{%+ endif +%}\n"));
        assertEquals("a\nb", render("{% if true %}\na\n{% endif %}\nb"));
    }

    @Test
    void strftimeNowReadsTheClock() {
        Clock clock = Clock.fixed(Instant.parse("2024-07-26T09:05:00Z"), ZoneOffset.UTC);
        JinjaTemplate t = JinjaTemplate.compile("t", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d %B %Y %H:%M') }}").withClock(clock);
        assertEquals("26 Jul 2024|26 July 2024 09:05", t.render(Map.of()));
    }

    @Test
    void macrosTakeKeywordsAndExtraArguments() {
        String t = "{% macro m(a, b=2) %}{{ a }}{{ b }}{{ varargs | length }}{{ kwargs | length }}{% endmacro %}"
                + "{{ m(1) }} {{ m(1, 3) }} {{ m(b=5, a=4) }} {{ m(1, 2, 3, x=1) }}";
        assertEquals("1200 1300 4500 1211", render(t));
    }

    @Test
    void contextTakesJavaValues() {
        Map<String, Object> context = Map.of("messages", List.of(Map.of("role", "user", "content", "hi")), "n", 3);
        assertEquals("user:hi 4", render("{% for m in messages %}{{ m.role }}:{{ m['content'] }}{% endfor %} {{ n + 1 }}", context));
    }

    @Test
    void unsupportedConstructsAreNamedWithTheirPosition() {
        JinjaException filter = assertThrows(JinjaException.class, () -> render("line one\n{{ 'x' | wordwrap }}"));
        assertTrue(filter.getMessage().contains("line 2, column 10"), filter.getMessage());
        assertTrue(filter.getMessage().contains("filter 'wordwrap' is not supported"), filter.getMessage());

        JinjaException statement = assertThrows(JinjaException.class, () -> JinjaTemplate.compile("tpl", "ab\n  {% include 'x.jinja' %}"));
        assertEquals("tpl line 2, column 6: the '{% include %}' statement is not supported by jtune's Jinja subset (see docs/templates.md)",
                statement.getMessage());

        JinjaException test = assertThrows(JinjaException.class, () -> render("{{ 1 is escaped }}"));
        assertTrue(test.getMessage().contains("test 'escaped' is not supported"), test.getMessage());

        JinjaException method = assertThrows(JinjaException.class, () -> render("{{ 'abc'.zfill(5) }}"));
        assertTrue(method.getMessage().contains("'str object' has no attribute 'zfill'"), method.getMessage());
    }

    @Test
    void syntaxErrorsSayWhatWasExpected() {
        JinjaException unclosed = assertThrows(JinjaException.class, () -> JinjaTemplate.compile("tpl", "{% if x %}never closed"));
        assertTrue(unclosed.getMessage().contains("line 1, column 1") && unclosed.getMessage().contains("endif"), unclosed.getMessage());
        JinjaException tag = assertThrows(JinjaException.class, () -> JinjaTemplate.compile("tpl", "{{ x "));
        assertTrue(tag.getMessage().contains("never closed"), tag.getMessage());
        JinjaException stray = assertThrows(JinjaException.class, () -> JinjaTemplate.compile("tpl", "a{% endif %}"));
        assertEquals("tpl line 1, column 5: '{% endif %}' without an open block it belongs to", stray.getMessage());
        JinjaException token = assertThrows(JinjaException.class, () -> JinjaTemplate.compile("tpl", "{{ x y }}"));
        assertTrue(token.getMessage().contains("expected '}}', got 'y'"), token.getMessage());
    }

    @Test
    void raiseExceptionIsTheTemplatesOwnRefusal() {
        JinjaException e = assertThrows(JinjaException.class,
                () -> render("{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}",
                        Map.of("messages", List.of(Map.of("role", "assistant")))));
        assertTrue(e.raisedByTemplate());
        assertEquals("test template refused the conversation: Conversation must start with user", e.getMessage());
    }

    @Test
    void undefinedRendersEmptyButCannotBeUsed() {
        assertEquals("[]", render("[{{ missing }}{{ obj.nothing }}]", Map.of("obj", Map.of())));
        JinjaException e = assertThrows(JinjaException.class, () -> render("{{ missing.attr }}"));
        assertTrue(e.getMessage().contains("'missing' is undefined"), e.getMessage());
        JinjaException add = assertThrows(JinjaException.class, () -> render("{{ 'a' + 1 }}"));
        assertTrue(add.getMessage().contains("unsupported operand types for +: str and int"), add.getMessage());
        assertFalse(add.raisedByTemplate());
    }
}
