package io.jtune.serve.webui;

import java.util.Map;
import java.util.regex.Pattern;

/** The YAML a form stands for (what `jtune train` reads), and a path quoted for display in a shell command. */
final class ConfigYaml {
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+-]+");

    private ConfigYaml() {}

    static String of(Map<String, Object> values) {
        try {
            return Json.YAML.writeValueAsString(values);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e); // plain values always serialise
        }
    }

    /** The text as one shell word: as is when safe, else in single quotes. Shown to people, never run. */
    static String shellQuote(String text) {
        if (SHELL_SAFE.matcher(text).matches()) return text;
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
