package io.jtune.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one definition of a configuration key: everything the parser, {@code --help}, docs/config.md
 * and the web UI's forms need to know about it.
 *
 * @param name          the key as written in YAML (LLaMA-Factory's spelling)
 * @param type          the value type
 * @param defaultValue  the value when the key is absent (String, Long, Double, Boolean, List, Map or null)
 * @param help          what the key means, for people
 * @param group         the hparams group it belongs to
 * @param inLlamaFactory whether LLaMA-Factory (or the HF Trainer arguments it uses) has this key
 * @param support       what jtune does with the key when it is set to a non-default value
 * @param reason        why a key is ignored or unsupported (null when supported)
 * @param choices       the allowed values of a CHOICE key (or of each element of a LIST key); empty = free
 * @param valueSupport  per-value exceptions: a choice jtune ignores or does not support yet, with why
 * @param min           the smallest allowed number (null = no bound)
 * @param minExclusive  whether {@code min} itself is excluded
 * @param max           the largest allowed number (null = no bound)
 */
public record ConfigKey(
        String name,
        KeyType type,
        Object defaultValue,
        String help,
        Group group,
        boolean inLlamaFactory,
        Support support,
        String reason,
        List<String> choices,
        Map<String, ValueSupport> valueSupport,
        Double min,
        boolean minExclusive,
        Double max) {

    /** A choice that jtune treats differently from a plain supported value. */
    public record ValueSupport(Support support, String reason) {}

    public ConfigKey {
        Objects.requireNonNull(name);
        Objects.requireNonNull(type);
        Objects.requireNonNull(help);
        Objects.requireNonNull(group);
        Objects.requireNonNull(support);
        choices = List.copyOf(choices);
        valueSupport = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(valueSupport));
        if (support != Support.SUPPORTED && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException(name + ": an ignored or unsupported key must say why");
        }
    }

    /** The choices jtune fully supports (all choices minus the per-value exceptions). */
    public List<String> supportedChoices() {
        return choices.stream().filter(c -> !valueSupport.containsKey(c)).toList();
    }

    /** The default as a YAML-ish string for help and docs ("None" as LLaMA-Factory's docs write it). */
    public String defaultText() {
        return ValueText.of(defaultValue);
    }

    /** A one-line support statement: "supported", or "not supported yet: why", with per-value exceptions grouped. */
    public String supportText() {
        StringBuilder sb = new StringBuilder(support.label());
        if (reason != null && support != Support.SUPPORTED) {
            sb.append(": ").append(reason);
        }
        Map<ValueSupport, List<String>> grouped = new LinkedHashMap<>();
        valueSupport.forEach((value, vs) -> grouped.computeIfAbsent(vs, x -> new ArrayList<>()).add(value));
        grouped.forEach((vs, values) -> sb.append("; ").append(String.join(", ", values)).append(": ")
                .append(vs.support().label()).append(" (").append(vs.reason()).append(")"));
        return sb.toString();
    }

    static Builder builder(String name, KeyType type) {
        return new Builder(name, type);
    }

    /** Fluent construction for the key tables in {@link ConfigKeys}. */
    static final class Builder {
        private final String name;
        private final KeyType type;
        private Object defaultValue;
        private String help = "";
        private boolean inLlamaFactory = true;
        private Support support = Support.SUPPORTED;
        private String reason;
        private final List<String> choices = new ArrayList<>();
        private final Map<String, ValueSupport> valueSupport = new LinkedHashMap<>();
        private Double min;
        private boolean minExclusive;
        private Double max;

        private Builder(String name, KeyType type) {
            this.name = name;
            this.type = type;
        }

        Builder def(Object value) {
            this.defaultValue = value instanceof Integer i ? Long.valueOf(i) : value;
            return this;
        }

        Builder help(String text) {
            this.help = text;
            return this;
        }

        Builder jtuneOnly() {
            this.inLlamaFactory = false;
            return this;
        }

        Builder ignored(String why) {
            this.support = Support.IGNORED_WITH_WARNING;
            this.reason = why;
            return this;
        }

        Builder unsupported(String why) {
            this.support = Support.UNSUPPORTED;
            this.reason = why;
            return this;
        }

        Builder choices(String... values) {
            choices.addAll(List.of(values));
            return this;
        }

        Builder unsupportedValues(String why, String... values) {
            for (String v : values) {
                valueSupport.put(v, new ValueSupport(Support.UNSUPPORTED, why));
            }
            return this;
        }

        Builder ignoredValues(String why, String... values) {
            for (String v : values) {
                valueSupport.put(v, new ValueSupport(Support.IGNORED_WITH_WARNING, why));
            }
            return this;
        }

        /** Values must be >= bound. */
        Builder atLeast(double bound) {
            this.min = bound;
            this.minExclusive = false;
            return this;
        }

        /** Values must be > bound. */
        Builder above(double bound) {
            this.min = bound;
            this.minExclusive = true;
            return this;
        }

        Builder atMost(double bound) {
            this.max = bound;
            return this;
        }

        ConfigKey build(Group group) {
            for (String v : valueSupport.keySet()) {
                if (!choices.contains(v)) {
                    throw new IllegalArgumentException(name + ": value exception '" + v + "' is not a choice");
                }
            }
            return new ConfigKey(name, type, defaultValue, help, group, inLlamaFactory, support, reason,
                    choices, valueSupport, min, minExclusive, max);
        }
    }
}
