package io.jtune.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a parsed YAML/JSON value into the Java value of a key's type (String, Long, Double, Boolean,
 * List&lt;String&gt;, Map), accepting what LLaMA-Factory accepts: "1e-4" written as a string, a comma
 * list as one string, a dict as a JSON string.
 */
final class ConfigValues {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigValues() {}

    /** A value that does not fit its key; the message says what is allowed (the caller adds file and key). */
    static final class InvalidValue extends RuntimeException {
        InvalidValue(String message) {
            super(message, null, false, false);
        }
    }

    static Object coerce(ConfigKey key, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (key.defaultValue() == null || key.type() == KeyType.ANY || key.type() == KeyType.MAP) {
                return null;
            }
            throw new InvalidValue("null is not allowed; expected " + expectation(key));
        }
        Object value = switch (key.type()) {
            case STRING -> text(key, node);
            case INT -> integer(key, node);
            case FLOAT -> real(key, node);
            case BOOL -> bool(key, node);
            case CHOICE -> choice(key, node);
            case LIST -> list(key, node);
            case MAP -> map(key, node);
            case ANY -> JSON.convertValue(node, Object.class);
        };
        checkRange(key, value);
        return value;
    }

    /** What a key accepts, in words, for error messages. */
    static String expectation(ConfigKey key) {
        return switch (key.type()) {
            case STRING -> "a string";
            case INT -> "an integer" + range(key);
            case FLOAT -> "a number" + range(key);
            case BOOL -> "true or false";
            case CHOICE -> "one of " + String.join(", ", key.choices());
            case LIST -> key.choices().isEmpty() ? "a comma-separated list or a YAML list"
                    : "a comma-separated list of " + String.join(", ", key.choices());
            case MAP -> "a mapping such as {min_lr: 1.0e-6} (or the same as a JSON string)";
            case ANY -> "a path or a mapping";
        };
    }

    private static String range(ConfigKey key) {
        if (key.min() != null && key.max() != null) {
            return " in " + (key.minExclusive() ? "(" : "[") + ValueText.of(key.min()) + ", " + ValueText.of(key.max()) + "]";
        }
        if (key.min() != null) {
            return (key.minExclusive() ? " > " : " >= ") + plain(key.min());
        }
        if (key.max() != null) {
            return " <= " + plain(key.max());
        }
        return "";
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : ValueText.number(d);
    }

    private static String text(ConfigKey key, JsonNode node) {
        if (node.isValueNode()) {
            return node.asText();
        }
        throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
    }

    private static Long integer(ConfigKey key, JsonNode node) {
        Long v = integerOrNull(node);
        if (v == null) {
            throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
        }
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            // the value as written: a number beyond a long is not reported as Long.MAX_VALUE
            String written = node.isNumber() ? node.numberValue().toString() : node.asText().trim();
            boolean small = v < Integer.MIN_VALUE;
            throw new InvalidValue(written + " is too " + (small ? "small" : "large") + "; expected " + expectation(key)
                    + " of at " + (small ? "least " + Integer.MIN_VALUE : "most " + Integer.MAX_VALUE));
        }
        return v;
    }

    /** The integer written, clamped to a long's range (the caller refuses what is beyond an int). */
    private static Long integerOrNull(JsonNode node) {
        java.math.BigDecimal exact = null;
        if (node.isIntegralNumber()) {
            exact = new java.math.BigDecimal(node.bigIntegerValue());
        } else if (node.isNumber() && Double.isFinite(node.asDouble()) && node.asDouble() == Math.rint(node.asDouble())) {
            exact = node.decimalValue();
        } else if (node.isTextual()) {
            String t = node.asText().trim();
            if (!t.matches("[-+]?\\d+")) return null;
            exact = new java.math.BigDecimal(t);
        }
        if (exact == null) return null;
        return exact.max(java.math.BigDecimal.valueOf(Long.MIN_VALUE)).min(java.math.BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
    }

    private static Double real(ConfigKey key, JsonNode node) {
        if (node.isNumber() && Double.isFinite(node.asDouble())) {
            return node.asDouble();
        }
        if (node.isTextual()) {
            // YAML 1.1 reads 1e-4 (no dot) as a string; LLaMA-Factory users write it all the time.
            try {
                double d = Double.parseDouble(node.asText().trim());
                if (!Double.isNaN(d) && !Double.isInfinite(d)) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
    }

    private static Boolean bool(ConfigKey key, JsonNode node) {
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        if (node.isTextual()) {
            switch (node.asText().trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> {
                    return true;
                }
                case "false", "no", "off" -> {
                    return false;
                }
                default -> { }
            }
        }
        throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
    }

    private static String choice(ConfigKey key, JsonNode node) {
        // transformers takes include_num_input_tokens_seen as a bool too: true = all, false = no.
        if (node.isBoolean() && key.choices().contains("all") && key.choices().contains("no")) {
            return node.asBoolean() ? "all" : "no";
        }
        // YAML 1.1 reads an unquoted no (off, false) as a boolean: where "no" is a choice, that is what was meant
        if (node.isBoolean() && !node.asBoolean() && key.choices().contains("no")) {
            return "no";
        }
        if (node.isBoolean()) {
            throw new InvalidValue("got the boolean " + node.asBoolean() + " (YAML reads unquoted yes/no/on/off/true/false as"
                    + " booleans); expected " + expectation(key) + ", quoted if it looks like a boolean");
        }
        if (!node.isValueNode()) {
            throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
        }
        String value = node.asText().trim();
        if (key.choices().contains(value)) {
            return value;
        }
        String lower = value.toLowerCase(Locale.ROOT);
        if (key.choices().contains(lower)) {
            return lower;
        }
        throw new InvalidValue(notAChoice(key, value));
    }

    static String notAChoice(ConfigKey key, String value) {
        String suggestion = EditDistance.closestChoice(value, key.choices());
        return "'" + value + "' is not allowed; choose one of " + String.join(", ", key.choices())
                + (suggestion != null ? " (did you mean " + suggestion + "?)" : "");
    }

    private static List<String> list(ConfigKey key, JsonNode node) {
        List<String> items = new ArrayList<>();
        if (node.isArray()) {
            for (JsonNode item : node) {
                if (!item.isValueNode() || item.isNull()) {
                    throw new InvalidValue("expected " + expectation(key) + ", got a list containing " + describe(item));
                }
                items.add(item.asText().trim());
            }
        } else if (node.isValueNode()) {
            items.addAll(splitList(node.asText()));
        } else {
            throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
        }
        if (!key.choices().isEmpty()) {
            for (String item : items) {
                if (!key.choices().contains(item)) {
                    throw new InvalidValue(notAChoice(key, item));
                }
            }
        }
        return List.copyOf(items);
    }

    /** LLaMA-Factory's split_arg: split on commas and strip each part. */
    static List<String> splitList(String text) {
        List<String> items = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String t = part.trim();
            if (!t.isEmpty()) {
                items.add(t);
            }
        }
        return List.copyOf(items);
    }

    private static Map<String, Object> map(ConfigKey key, JsonNode node) {
        JsonNode object = node;
        if (node.isTextual() && node.asText().trim().startsWith("{")) {
            try {
                object = JSON.readTree(node.asText());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new InvalidValue("the JSON string is not valid JSON (" + e.getOriginalMessage() + "); expected " + expectation(key));
            }
        }
        if (!object.isObject()) {
            throw new InvalidValue("expected " + expectation(key) + ", got " + describe(node));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> result.put(e.getKey(), coerceLoose(e.getValue())));
        return result;
    }

    /** Map entries keep numbers as numbers, including "1e-6" strings (as transformers' _convert_str_dict does). */
    private static Object coerceLoose(JsonNode node) {
        if (node.isTextual()) {
            String t = node.asText().trim();
            if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(t);
            }
            try {
                return t.matches("[-+]?\\d+") ? (Object) Long.parseLong(t) : (Object) Double.parseDouble(t);
            } catch (NumberFormatException e) {
                return t;
            }
        }
        if (node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node.isNumber()) {
            return node.asDouble();
        }
        return JSON.convertValue(node, Object.class);
    }

    private static void checkRange(ConfigKey key, Object value) {
        if (!(value instanceof Number n) || (key.min() == null && key.max() == null)) {
            return;
        }
        double d = n.doubleValue();
        boolean tooSmall = key.min() != null && (key.minExclusive() ? d <= key.min() : d < key.min());
        boolean tooLarge = key.max() != null && d > key.max();
        if (tooSmall || tooLarge) {
            throw new InvalidValue(ValueText.of(value) + " is out of range; expected " + expectation(key));
        }
    }

    static String describe(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "'" + node.asText() + "'";
        }
        return node.toString();
    }
}
