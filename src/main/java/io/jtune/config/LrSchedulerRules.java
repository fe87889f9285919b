package io.jtune.config;

import io.jtune.JtuneException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The learning-rate schedules jtune implements, the lr_scheduler_kwargs each one takes, and
 * transformers' rules for their values. They live in config so that a bad schedule or argument
 * fails while the file loads, before a model is read; {@code train.LearningRateSchedule} checks
 * with the same rules before it builds a curve, so both places say the same thing.
 */
public final class LrSchedulerRules {
    /** Default lr_end of the polynomial schedule (transformers' get_polynomial_decay_schedule_with_warmup). */
    public static final double POLYNOMIAL_DEFAULT_LR_END = 1e-7;

    // An argument not listed here is a TypeError in transformers' get_scheduler.
    private static final Map<String, Set<String>> KWARGS_BY_TYPE = kwargsByType();

    private LrSchedulerRules() {
    }

    private static Map<String, Set<String>> kwargsByType() {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        m.put("linear", Set.of());
        m.put("cosine", Set.of("num_cycles"));
        m.put("cosine_with_restarts", Set.of("num_cycles"));
        m.put("polynomial", Set.of("lr_end", "power"));
        m.put("constant", Set.of());
        m.put("constant_with_warmup", Set.of());
        m.put("inverse_sqrt", Set.of("timescale"));
        m.put("cosine_with_min_lr", Set.of("num_cycles", "min_lr", "min_lr_rate"));
        return m;
    }

    /** The lr_scheduler_kwargs the schedule {@code type} takes; an unimplemented type is an error. */
    private static Set<String> acceptedKwargs(String type) {
        Set<String> accepted = KWARGS_BY_TYPE.get(type);
        if (accepted == null) {
            throw new JtuneException("lr_scheduler_type " + type + " is not supported yet by jtune; supported: "
                    + String.join(", ", KWARGS_BY_TYPE.keySet()));
        }
        return accepted;
    }

    /**
     * Checks a schedule's type and arguments for a run whose peak learning rate is {@code peakLr}:
     * every argument belongs to the schedule and is a number, cosine_with_min_lr has exactly one of
     * min_lr and min_lr_rate, and polynomial decays downwards.
     */
    public static void check(String type, double peakLr, Map<String, ?> kwargs) {
        Set<String> accepted = acceptedKwargs(type);
        for (Map.Entry<String, ?> e : kwargs.entrySet()) {
            if (!accepted.contains(e.getKey())) {
                throw new JtuneException("lr_scheduler_kwargs: '" + e.getKey() + "' is not an argument of the " + type + " schedule; "
                        + (accepted.isEmpty() ? "it takes none" : "it takes " + String.join(", ", accepted)));
            }
            if (e.getValue() != null && !(e.getValue() instanceof Number)) {
                throw new JtuneException("lr_scheduler_kwargs: " + e.getKey() + " must be a number, got '" + e.getValue() + "'");
            }
        }
        if (type.equals("cosine_with_min_lr")) {
            boolean hasMinLr = kwargs.get("min_lr") != null;
            boolean hasRate = kwargs.get("min_lr_rate") != null;
            if (hasMinLr && hasRate) {
                throw new JtuneException("lr_scheduler_kwargs: set only one of min_lr and min_lr_rate for cosine_with_min_lr");
            }
            if (!hasMinLr && !hasRate) {
                throw new JtuneException("lr_scheduler_kwargs: cosine_with_min_lr needs min_lr or min_lr_rate, e.g. lr_scheduler_kwargs: {min_lr_rate: 0.1}");
            }
        }
        if (type.equals("polynomial")) {
            double lrEnd = number(kwargs, "lr_end", POLYNOMIAL_DEFAULT_LR_END);
            if (!(peakLr > lrEnd)) {
                throw new JtuneException("lr_scheduler_kwargs: lr_end (" + lrEnd + ") must be smaller than learning_rate (" + peakLr + ")");
            }
        }
    }

    /** A checked argument's value, or {@code fallback} when it was not given. */
    public static double number(Map<String, ?> kwargs, String key, double fallback) {
        Object v = kwargs.get(key);
        return v == null ? fallback : ((Number) v).doubleValue();
    }
}
