package io.jtune.data.template.jinja;

import java.util.List;
import java.util.Map;

/** Something a template can call: a macro, a global function (range, namespace...) or a bound method. */
@FunctionalInterface
interface JinjaCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
