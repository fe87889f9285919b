package io.jtune.train.reward;

import io.jtune.JtuneException;
import io.jtune.config.GrpoArguments;
import io.jtune.model.CausalLM;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The reward functions of a grpo run, as reward_funcs names them, with their reward_weights. Each
 * entry is, in this order of lookup: a Java {@link RewardFunction} the application registered under
 * that name; a built-in verifiable reward (exact_match, normalized_match, numeric_match, format,
 * length); an http(s) URL ({@link HttpReward}); a folder written by stage rm ({@link RewardModelReward}).
 */
public final class RewardFunctions implements AutoCloseable {
    /** The built-in names. */
    public static final List<String> BUILT_IN = List.of("exact_match", "normalized_match", "numeric_match", "format", "length");

    /** One reward function with its log name (rewards/NAME/mean) and weight. */
    public record Named(String name, RewardFunction function, double weight) {}

    /** The rewards of a list of samples: per function, and the weighted sum. */
    public record Scores(double[][] perFunction, double[] total) {}

    private final List<Named> functions;

    public RewardFunctions(List<Named> functions) {
        if (functions.isEmpty()) throw new JtuneException("reward_funcs: stage grpo needs at least one reward function (docs/rl.md)");
        this.functions = List.copyOf(functions);
    }

    /**
     * Resolves reward_funcs.
     *
     * @param javaFunctions reward functions the application registered by name
     * @param frozenBase    the policy's base with its starting weights, over which an rm adapter is loaded (asked for only then)
     * @param stopIds       the tokens that end a completion (the length reward does not count them)
     */
    public static RewardFunctions resolve(GrpoArguments args, Map<String, RewardFunction> javaFunctions, Supplier<CausalLM> frozenBase,
                                          Set<Integer> stopIds) {
        VerifiableRewards.AnswerPattern answer = VerifiableRewards.AnswerPattern.of(args.rewardAnswerPattern(), "reward_answer_pattern");
        List<Named> out = new ArrayList<>();
        for (int i = 0; i < args.rewardFuncs().size(); i++) {
            String spec = args.rewardFuncs().get(i).strip();
            double weight = args.rewardWeights().get(i);
            RewardFunction fn = javaFunctions.get(spec);
            String name = spec;
            if (fn == null) {
                fn = switch (spec) {
                    case "exact_match" -> VerifiableRewards.exactMatch(answer);
                    case "normalized_match" -> VerifiableRewards.normalizedMatch(answer);
                    case "numeric_match" -> VerifiableRewards.numericMatch(answer, args.rewardNumericTolerance());
                    case "format" -> VerifiableRewards.format(args.rewardFormatPattern(), "reward_format_pattern");
                    case "length" -> VerifiableRewards.length(args.rewardLengthMin(), args.rewardLengthMax(), stopIds);
                    default -> null;
                };
            }
            if (fn == null && (spec.startsWith("http://") || spec.startsWith("https://"))) {
                fn = new HttpReward(URI.create(spec), Duration.ofSeconds(60));
            }
            if (fn == null && Files.isDirectory(Path.of(spec))) {
                Path dir = Path.of(spec);
                if (!RewardModelReward.isRewardModel(dir)) {
                    throw new JtuneException("reward_funcs: " + dir + " has no value_head.safetensors; a reward model folder is the"
                            + " output of stage rm (its adapter or its model)");
                }
                fn = RewardModelReward.load(dir, frozenBase);
                name = dir.getFileName() == null ? spec : dir.getFileName().toString();
            }
            if (fn == null) {
                throw new JtuneException("reward_funcs: '" + spec + "' is not a reward function; use one of " + String.join(", ", BUILT_IN)
                        + ", an http(s) URL, a folder written by stage rm"
                        + (javaFunctions.isEmpty() ? "" : ", or a Java function: " + String.join(", ", javaFunctions.keySet())));
            }
            out.add(new Named(name, fn, weight));
        }
        return new RewardFunctions(out);
    }

    public List<Named> functions() {
        return functions;
    }

    /** Scores every sample with every function; the total is Σ weight × reward. */
    public Scores score(List<RewardFunction.Sample> samples) {
        double[][] per = new double[functions.size()][];
        double[] total = new double[samples.size()];
        for (int f = 0; f < functions.size(); f++) {
            Named named = functions.get(f);
            per[f] = named.function().scoreAll(samples);
            if (per[f].length != samples.size()) {
                throw new JtuneException("reward function " + named.name() + " returned " + per[f].length + " rewards for "
                        + samples.size() + " completions");
            }
            for (int i = 0; i < total.length; i++) {
                if (!Double.isFinite(per[f][i])) {
                    throw new JtuneException("reward function " + named.name() + " returned " + per[f][i] + " for a completion; rewards must be finite");
                }
                total[i] += named.weight() * per[f][i];
            }
        }
        return new Scores(per, total);
    }

    @Override
    public void close() throws Exception {
        for (Named n : functions) if (n.function() instanceof AutoCloseable c) c.close();
    }
}
