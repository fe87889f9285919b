package io.jtune.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys of stage grpo, named as TRL's GRPOConfig names them (LLaMA-Factory has no grpo stage),
 * with the reward functions' own settings. Derived defaults are resolved here: epsilon_high is
 * epsilon, max_completion_length is max_new_tokens, every reward weight is 1.
 *
 * @param rewardFuncs   reward_funcs as given (names, folders, URLs)
 * @param rewardWeights one weight per reward function
 */
public record GrpoArguments(
        int numGenerations,
        int maxCompletionLength,
        double beta,
        double epsilon,
        double epsilonHigh,
        int numIterations,
        String scaleRewards,
        String lossType,
        List<String> rewardFuncs,
        List<Double> rewardWeights,
        String rewardAnswerPattern,
        String rewardFormatPattern,
        double rewardNumericTolerance,
        int rewardLengthMin,
        int rewardLengthMax,
        int completionLogSamples) {

    public GrpoArguments {
        rewardFuncs = List.copyOf(rewardFuncs);
        rewardWeights = List.copyOf(rewardWeights);
    }

    static GrpoArguments from(JtuneConfig c) {
        Integer maxCompletion = c.nullableInteger("max_completion_length");
        int maxNew = c.integer("max_new_tokens");
        int completion = maxCompletion != null ? maxCompletion : maxNew > 0 ? maxNew : c.integer("max_length");
        double epsilon = c.real("epsilon");
        Double epsilonHigh = c.nullableReal("epsilon_high");
        List<String> funcs = c.list("reward_funcs") == null ? List.of() : c.list("reward_funcs");
        List<String> weightTexts = c.list("reward_weights");
        List<Double> weights = new ArrayList<>();
        if (weightTexts == null || weightTexts.isEmpty()) {
            for (int i = 0; i < funcs.size(); i++) weights.add(1.0);
        } else {
            if (weightTexts.size() != funcs.size()) {
                throw c.error("reward_weights", weightTexts.size() + " weights for " + funcs.size()
                        + " reward functions (reward_funcs); give one weight per function");
            }
            for (String w : weightTexts) {
                try {
                    weights.add(Double.parseDouble(w.trim()));
                } catch (NumberFormatException e) {
                    throw c.error("reward_weights", "'" + w + "' is not a number");
                }
            }
        }
        Integer rewardLengthMax = c.nullableInteger("reward_length_max");
        return new GrpoArguments(c.integer("num_generations"), completion, c.real("beta"), epsilon,
                epsilonHigh != null ? epsilonHigh : epsilon, c.integer("num_iterations"), c.string("scale_rewards"),
                c.string("loss_type"), funcs, weights, c.string("reward_answer_pattern"), c.string("reward_format_pattern"),
                c.real("reward_numeric_tolerance"), c.integer("reward_length_min"), rewardLengthMax != null ? rewardLengthMax : completion,
                c.integer("completion_log_samples"));
    }
}
