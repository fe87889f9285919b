package io.jtune.data.template;

/** A tool call: the function name and its arguments as JSON text (Python's json.dumps form). */
public record FunctionCall(String name, String arguments) {}
