package io.jtune.train.rollout;

import io.jtune.JtuneException;
import io.jtune.data.TokenizedExample;
import io.jtune.data.batch.BatchSampler;
import io.jtune.model.Batch;
import io.jtune.tokenizer.Tokenizer;
import io.jtune.train.TrainBatches;
import io.jtune.train.objective.GroupAdvantages;
import io.jtune.train.objective.GrpoObjective;
import io.jtune.train.objective.Metric;
import io.jtune.train.reward.RewardFunction;
import io.jtune.train.reward.RewardFunctions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The training batches of stage grpo, made while training runs: at the first micro-batch of each
 * rollout round the prompts of the round are each completed num_generations times by the current
 * policy ({@link RolloutGenerator}), the completions scored ({@link RewardFunctions}) and given
 * their group advantages ({@link GroupAdvantages}); the round's completions are then cut into
 * micro-batches of per_device_train_batch_size rows (prompt and completion, the completion as
 * labels), which the trainer takes gradient_accumulation_steps at a time for each of
 * num_iterations optimizer steps. The rows' advantages, old and reference log-probabilities reach
 * {@link GrpoObjective} through {@link #rows}.
 *
 * <p>Prompts are shuffled per epoch with the seed (a last round that cannot be filled is dropped),
 * and every completion is sampled with a seed of its own from (seed, epoch, round, index), so a
 * run is deterministic.
 */
public final class RolloutBatches implements TrainBatches, GrpoObjective.Rollouts {
    /**
     * @param promptsPerRound  prompts completed per round (micro-batch rows × accumulation / num_generations)
     * @param logSamples       completions per round written to the completion log
     */
    public record Settings(int promptsPerRound, int numGenerations, int microBatchRows, int accumulation, int numIterations,
                           long seed, boolean shuffle, int padId, GroupAdvantages.Scale scale, int logSamples) {}

    private final Settings settings;
    private final BatchSampler<TokenizedExample> prompts;
    private final Tokenizer tokenizer;
    private final RolloutGenerator generator;
    private final RewardFunctions rewards;
    private final Function<Batch, double[]> oldLogProbs;   // null: one iteration, ρ = 1
    private final Function<Batch, double[]> refLogProbs;   // null: beta 0
    private final CompletionLog log;
    private final int rounds;
    private int cachedEpoch = -1, cachedRound = -1;
    private List<Batch> cachedBatches;
    private final Map<Batch, GrpoObjective.RolloutRows> rows = new IdentityHashMap<>();
    private List<List<TokenizedExample>> epochPrompts;
    private int epochOfPrompts = -1;

    public RolloutBatches(Settings settings, List<TokenizedExample> examples, Tokenizer tokenizer, RolloutGenerator generator,
                          RewardFunctions rewards, Function<Batch, double[]> oldLogProbs, Function<Batch, double[]> refLogProbs,
                          CompletionLog log) {
        this.settings = settings;
        this.prompts = new BatchSampler<>(examples, settings.promptsPerRound(), settings.seed(), settings.shuffle());
        this.tokenizer = tokenizer;
        this.generator = generator;
        this.rewards = rewards;
        this.oldLogProbs = oldLogProbs;
        this.refLogProbs = refLogProbs;
        this.log = log;
        this.rounds = examples.size() / settings.promptsPerRound();
        if (rounds == 0 && !examples.isEmpty()) {
            throw new JtuneException("dataset: " + examples.size() + " prompts, but one grpo step needs " + settings.promptsPerRound()
                    + " (per_device_train_batch_size x gradient_accumulation_steps / num_generations)");
        }
    }

    @Override
    public int batchesPerEpoch() {
        return rounds * settings.numIterations() * settings.accumulation();
    }

    @Override
    public boolean generatesOnline() {
        return true;
    }

    @Override
    public Batch batch(int epoch, int index) {
        int window = index / settings.accumulation();
        int round = window / settings.numIterations();
        if (epoch != cachedEpoch || round != cachedRound) {
            int step = (epoch * batchesPerEpoch() + index) / settings.accumulation() + 1;
            rows.clear();
            cachedBatches = rollOut(epoch, round, step);
            cachedEpoch = epoch;
            cachedRound = round;
        }
        return cachedBatches.get(index % settings.accumulation());
    }

    @Override
    public GrpoObjective.RolloutRows rows(Batch batch) {
        GrpoObjective.RolloutRows r = rows.get(batch);
        if (r == null) throw new IllegalStateException("a grpo batch that was not rolled out by this run");
        return r;
    }

    /** Generates, scores and batches one round's completions. */
    private List<Batch> rollOut(int epoch, int round, int step) {
        if (epoch != epochOfPrompts) {
            epochPrompts = prompts.epoch(epoch);
            epochOfPrompts = epoch;
        }
        return rollOut(epochPrompts.get(round), i -> mix(settings.seed(), epoch, round, i), step);
    }

    /**
     * The evaluation of stage grpo on held-out prompts (as TRL's GRPOTrainer evaluates): each completed
     * num_generations times by the current policy, with the same seeds at every evaluation, scored and given
     * their group advantages; the objective's loss and metrics over them are the evaluation's (eval_loss,
     * eval_reward, eval_reward_std, eval_rewards/NAME/mean, eval_completion_length, ...).
     */
    public io.jtune.train.EvalBatches evaluation(List<TokenizedExample> heldOut) {
        return new io.jtune.train.EvalBatches() {
            @Override
            public boolean isEmpty() {
                return heldOut.isEmpty();
            }

            @Override
            public List<Batch> make() {
                return rollOut(heldOut, i -> mix(settings.seed(), -1, 0, i), -1);
            }

            @Override
            public void release(List<Batch> batches) {
                for (Batch b : batches) rows.remove(b);
            }
        };
    }

    /** Completes, scores and batches {@code roundPrompts}, completion i sampled with seed seedOf(i); step -1: an evaluation, not logged. */
    private List<Batch> rollOut(List<TokenizedExample> roundPrompts, java.util.function.IntToLongFunction seedOf, int step) {
        int g = settings.numGenerations();
        List<int[]> promptIds = new ArrayList<>();
        long[] seeds = new long[roundPrompts.size() * g];
        for (int p = 0; p < roundPrompts.size(); p++) {
            for (int k = 0; k < g; k++) {
                int i = p * g + k;
                promptIds.add(roundPrompts.get(p).inputIds());
                seeds[i] = seedOf.applyAsLong(i);
            }
        }
        List<int[]> completions = generator.generate(promptIds, seeds);

        List<RewardFunction.Sample> samples = new ArrayList<>();
        for (int i = 0; i < completions.size(); i++) {
            TokenizedExample example = roundPrompts.get(i / g);
            int[] answer = example.get(TokenizedExample.ANSWER_TEXT);
            samples.add(new RewardFunction.Sample(tokenizer.decode(promptIds.get(i), false), tokenizer.decode(completions.get(i), true),
                    answer == null ? "" : new String(answer, 0, answer.length), promptIds.get(i), completions.get(i)));
        }
        RewardFunctions.Scores scores = rewards.score(samples);
        GroupAdvantages.Result advantages = GroupAdvantages.compute(scores.total(), g, settings.scale());
        Map<String, Metric> roundMetrics = roundMetrics(scores, advantages, completions);
        if (step >= 0) writeLog(step, samples, scores, advantages);

        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < completions.size(); start += settings.microBatchRows()) {
            int end = Math.min(start + settings.microBatchRows(), completions.size());
            Batch batch = rowsOf(promptIds.subList(start, end), completions.subList(start, end));
            double[] adv = Arrays.copyOfRange(advantages.advantages(), start, end);
            rows.put(batch, new GrpoObjective.RolloutRows(adv, oldLogProbs == null ? null : oldLogProbs.apply(batch),
                    refLogProbs == null ? null : refLogProbs.apply(batch), start == 0 ? roundMetrics : Map.of()));
            batches.add(batch);
        }
        return batches;
    }

    /** Prompt then completion per row, right-padded; the completion tokens are the labels. */
    private Batch rowsOf(List<int[]> promptIds, List<int[]> completions) {
        int n = promptIds.size(), len = 0;
        for (int i = 0; i < n; i++) len = Math.max(len, promptIds.get(i).length + completions.get(i).length);
        int[][] ids = new int[n][len], labels = new int[n][len];
        for (int i = 0; i < n; i++) {
            Arrays.fill(ids[i], settings.padId());
            Arrays.fill(labels[i], Batch.IGNORE_INDEX);
            int[] p = promptIds.get(i), c = completions.get(i);
            System.arraycopy(p, 0, ids[i], 0, p.length);
            System.arraycopy(c, 0, ids[i], p.length, c.length);
            System.arraycopy(c, 0, labels[i], p.length, c.length);
        }
        return Batch.of(ids, labels);
    }

    /** reward, reward_std, rewards/NAME/mean and completion_length, as TRL logs them; one value per round. */
    private Map<String, Metric> roundMetrics(RewardFunctions.Scores scores, GroupAdvantages.Result advantages, List<int[]> completions) {
        Map<String, Metric> m = new LinkedHashMap<>();
        m.put("reward", Metric.of(mean(scores.total()), 1));
        m.put("reward_std", Metric.of(advantages.meanStd(), 1));
        for (int f = 0; f < rewards.functions().size(); f++) {
            m.put("rewards/" + rewards.functions().get(f).name() + "/mean", Metric.of(mean(scores.perFunction()[f]), 1));
        }
        double tokens = 0;
        for (int[] c : completions) tokens += c.length;
        m.put("completion_length", Metric.of(tokens / completions.size(), 1));
        return m;
    }

    private void writeLog(int step, List<RewardFunction.Sample> samples, RewardFunctions.Scores scores, GroupAdvantages.Result advantages) {
        if (log == null || settings.logSamples() == 0) return;
        for (int i = 0; i < Math.min(settings.logSamples(), samples.size()); i++) {
            Map<String, Double> each = new LinkedHashMap<>();
            for (int f = 0; f < rewards.functions().size(); f++) each.put(rewards.functions().get(f).name(), scores.perFunction()[f][i]);
            RewardFunction.Sample s = samples.get(i);
            log.add(step, s.prompt(), s.completion(), s.answer(), scores.total()[i], advantages.advantages()[i], each);
        }
        log.flush();
    }

    private static double mean(double[] values) {
        double s = 0;
        for (double v : values) s += v;
        return s / values.length;
    }

    /** A well-mixed seed for one completion (SplitMix64's finaliser over the coordinates). */
    static long mix(long seed, int epoch, int round, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + round * 0x94D049BB133111EBL + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
