package io.jtune.data.template.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code namespace(...)} makes: attributes a loop body can assign to and the code after the loop reads. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
