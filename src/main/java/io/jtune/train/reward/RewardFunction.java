package io.jtune.train.reward;

import java.util.List;

/**
 * Scores completions for stage grpo. Built-in functions check a completion against the dataset's
 * answer ({@link VerifiableRewards}); a reward model ({@link RewardModelReward}) and an HTTP endpoint
 * ({@link HttpReward}) score it as LLaMA-Factory's ppo does; an application passes its own through
 * the Java API ({@code io.jtune.api.Jtune.train(config, rewardFunctions)}) and names it in
 * reward_funcs.
 */
@FunctionalInterface
public interface RewardFunction {
    /**
     * One completion to score.
     *
     * @param prompt        the prompt as the model saw it (the template applied), decoded
     * @param completion    the generated text, special tokens (the final EOS) left out
     * @param answer        the dataset's answer for the prompt (its response column), "" when it has none
     * @param promptIds     the prompt's token ids
     * @param completionIds the generated token ids (a final stop token included)
     */
    record Sample(String prompt, String completion, String answer, int[] promptIds, int[] completionIds) {}

    /** The reward of one completion; NaN is not allowed. */
    double score(Sample sample);

    /** The rewards of many completions, in order; a function that batches (a model, a server) overrides it. */
    default double[] scoreAll(List<Sample> samples) {
        double[] out = new double[samples.size()];
        for (int i = 0; i < out.length; i++) out[i] = score(samples.get(i));
        return out;
    }
}
