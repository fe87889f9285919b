package io.jtune.train;

import io.jtune.config.LrSchedulerRules;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * Learning-rate schedules with the semantics of transformers' {@code get_scheduler}: a multiplier
 * λ(step) of the peak learning rate, as torch's LambdaLR applies it.
 *
 * <p>Step numbering follows the HF Trainer: the optimizer step with index {@code s} (0-based) uses
 * {@code lr(s)}, so the very first update uses λ(0) (0 during warmup). After that step the Trainer
 * advances the scheduler and logs {@code learning_rate} = {@code lr(global_step)}, i.e. the rate the
 * <em>next</em> step will use.
 *
 * <p>Which schedules exist and which lr_scheduler_kwargs each takes is {@link LrSchedulerRules}, in
 * config, so that loading a config refuses a bad one without reaching up into train.
 */
public final class LearningRateSchedule {
    private final String type;
    private final double peakLr;
    private final int warmupSteps;
    private final int totalSteps;
    private final IntToDoubleFunction lambda;

    private LearningRateSchedule(String type, double peakLr, int warmupSteps, int totalSteps, IntToDoubleFunction lambda) {
        this.type = type;
        this.peakLr = peakLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        this.lambda = lambda;
    }

    /**
     * Warmup length as the HF Trainer computes it: {@code warmup_steps} when >= 1, a fraction of
     * the total when in (0, 1) (transformers >= 4.56 style), else {@code ceil(total x warmup_ratio)}.
     */
    public static int warmupSteps(double warmupSteps, double warmupRatio, int totalSteps) {
        if (warmupSteps >= 1) {
            return (int) warmupSteps;
        }
        double ratio = warmupSteps > 0 ? warmupSteps : warmupRatio;
        return (int) Math.ceil(totalSteps * ratio);
    }

    /**
     * Builds a schedule.
     *
     * @param type        lr_scheduler_type
     * @param peakLr      learning_rate
     * @param warmupSteps from {@link #warmupSteps(double, double, int)}
     * @param totalSteps  the number of optimizer steps of the whole run
     * @param kwargs      lr_scheduler_kwargs (numbers may be Long or Double)
     */
    public static LearningRateSchedule create(String type, double peakLr, int warmupSteps, int totalSteps, Map<String, ?> kwargs) {
        LrSchedulerRules.check(type, peakLr, kwargs);
        IntToDoubleFunction lambda = switch (type) {
            // transformers' get_scheduler returns the constant schedule before looking at warmup: no warmup.
            case "constant" -> step -> 1.0;
            case "constant_with_warmup" -> step -> step < warmupSteps ? warmup(step, warmupSteps) : 1.0;
            case "linear" -> step -> step < warmupSteps ? warmup(step, warmupSteps)
                    : Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case "cosine" -> cosine(warmupSteps, totalSteps, number(kwargs, "num_cycles", 0.5), 0.0);
            case "cosine_with_min_lr" -> cosine(warmupSteps, totalSteps, number(kwargs, "num_cycles", 0.5), minLrRate(kwargs, peakLr));
            case "cosine_with_restarts" -> restarts(warmupSteps, totalSteps, number(kwargs, "num_cycles", 1.0));
            case "polynomial" -> polynomial(warmupSteps, totalSteps, peakLr,
                    number(kwargs, "lr_end", LrSchedulerRules.POLYNOMIAL_DEFAULT_LR_END), number(kwargs, "power", 1.0));
            case "inverse_sqrt" -> inverseSqrt(warmupSteps, kwargs.get("timescale"));
            default -> throw new IllegalStateException(type); // LrSchedulerRules refused it already
        };
        return new LearningRateSchedule(type, peakLr, warmupSteps, totalSteps, lambda);
    }

    /** λ(step): the fraction of the peak learning rate at optimizer step {@code step}. */
    public double multiplier(int step) {
        return lambda.applyAsDouble(step);
    }

    /** The learning rate the optimizer step with index {@code step} (0-based) uses. */
    public double learningRate(int step) {
        return peakLr * multiplier(step);
    }

    public String type() {
        return type;
    }

    public int warmupSteps() {
        return warmupSteps;
    }

    public int totalSteps() {
        return totalSteps;
    }

    private static double warmup(int step, int warmupSteps) {
        return (double) step / Math.max(1.0, warmupSteps);
    }

    private static IntToDoubleFunction cosine(int warmup, int total, double cycles, double minRate) {
        return step -> {
            if (step < warmup) {
                return warmup(step, warmup);
            }
            double progress = (double) (step - warmup) / Math.max(1, total - warmup);
            double factor = 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress));
            return Math.max(0.0, factor * (1 - minRate) + minRate);
        };
    }

    private static IntToDoubleFunction restarts(int warmup, int total, double cycles) {
        return step -> {
            if (step < warmup) {
                return warmup(step, warmup);
            }
            double progress = (double) (step - warmup) / Math.max(1, total - warmup);
            if (progress >= 1.0) {
                return 0.0;
            }
            return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((cycles * progress) % 1.0))));
        };
    }

    private static IntToDoubleFunction polynomial(int warmup, int total, double lrInit, double lrEnd, double power) {
        return step -> {
            if (step < warmup) {
                return warmup(step, warmup);
            }
            if (step > total) {
                return lrEnd / lrInit;
            }
            // transformers divides by zero here when total == warmup; jtune takes the decay as done instead.
            double remaining = 1.0 - (double) (step - warmup) / Math.max(1, total - warmup);
            return ((lrInit - lrEnd) * Math.pow(remaining, power) + lrEnd) / lrInit;
        };
    }

    private static IntToDoubleFunction inverseSqrt(int warmup, Object timescaleArg) {
        double timescale = timescaleArg == null ? (warmup != 0 ? warmup : 10_000) : ((Number) timescaleArg).doubleValue();
        double shift = timescale - warmup;
        return step -> step < warmup ? warmup(step, warmup) : 1.0 / Math.sqrt((step + shift) / timescale);
    }

    /** cosine_with_min_lr's floor as a fraction of the peak; LrSchedulerRules made sure exactly one of the two is set. */
    private static double minLrRate(Map<String, ?> kwargs, double peakLr) {
        return kwargs.get("min_lr") != null ? number(kwargs, "min_lr", 0) / peakLr : number(kwargs, "min_lr_rate", 0);
    }

    private static double number(Map<String, ?> kwargs, String key, double fallback) {
        return LrSchedulerRules.number(kwargs, key, fallback);
    }
}
