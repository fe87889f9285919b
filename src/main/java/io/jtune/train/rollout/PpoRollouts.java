package io.jtune.train.rollout;

import io.jtune.JtuneException;
import io.jtune.data.TokenizedExample;
import io.jtune.data.batch.BatchSampler;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.ForwardOutput;
import io.jtune.model.ValueHead;
import io.jtune.tokenizer.Tokenizer;
import io.jtune.train.TrainBatches;
import io.jtune.train.objective.KlController;
import io.jtune.train.objective.Metric;
import io.jtune.train.objective.Moments;
import io.jtune.train.objective.PpoAdvantages;
import io.jtune.train.objective.PpoObjective;
import io.jtune.train.objective.ScoreNormalizer;
import io.jtune.train.reward.RewardFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The training batches of stage ppo, made while training runs (TRL's PPOTrainer.step as LLaMA-Factory's
 * CustomPPOTrainer drives it). A rollout batch is per_device_train_batch_size × gradient_accumulation_steps
 * × ppo_buffer_size prompts, each completed once by the current policy ({@link RolloutGenerator}) and
 * scored by the reward model (optionally normalised, ppo_score_norm); the training forward then gives each
 * response token its log-probability and value, the reference its log-probability, and
 * {@link PpoAdvantages} the advantages and returns under the current KL coefficient, which
 * {@link KlController} then adapts. The rollouts train for ppo_epochs passes, each over a new shuffle of
 * the rows, cut into optimizer steps of gradient_accumulation_steps micro-batches: ppo_epochs × ppo_buffer_size
 * optimizer steps per rollout batch. {@link PpoObjective} reads each micro-batch's rows through {@link #rows}.
 *
 * <p>Prompts are shuffled per epoch with the seed (a last batch that cannot be filled is dropped), each
 * completion has a seed of its own from (seed, epoch, round, index), and so does each shuffle: a run is deterministic.
 */
public final class PpoRollouts implements TrainBatches, PpoObjective.Rollouts {
    /**
     * @param microBatchRows per_device_train_batch_size
     * @param accumulation   gradient_accumulation_steps
     * @param bufferSize     ppo_buffer_size
     * @param ppoEpochs      ppo_epochs
     * @param logSamples     completions per rollout batch written to the completion log
     * @param temperature    divides the logits of the rollout-time pass, as of every training pass ({@link PpoObjective})
     */
    public record Settings(int microBatchRows, int accumulation, int bufferSize, int ppoEpochs, long seed, boolean shuffle, int padId,
                           boolean scoreNorm, PpoAdvantages.Settings advantages, int logSamples, float temperature) {
        public int rowsPerRollout() {
            return microBatchRows * accumulation * bufferSize;
        }

        int stepsPerRollout() {
            return ppoEpochs * bufferSize;
        }
    }

    private final Settings settings;
    private final BatchSampler<TokenizedExample> prompts;
    private final Tokenizer tokenizer;
    private final RolloutGenerator generator;
    private final RewardFunction reward;
    private final CausalLM policy;
    private final Function<Batch, double[]> refLogProbs;
    private final KlController kl;
    private final ScoreNormalizer normalizer = new ScoreNormalizer();
    private final CompletionLog log;
    private final int rounds;
    private int cachedEpoch = -1, cachedRound = -1;
    private List<Batch> cachedBatches;
    private final Map<Batch, PpoObjective.RolloutRows> rows = new IdentityHashMap<>();
    private List<List<TokenizedExample>> epochPrompts;
    private int epochOfPrompts = -1;

    /**
     * @param policy      the trained model with its value head (its training adapter, if any, is the policy)
     * @param refLogProbs the reference's log-probability per flat position of a batch, of its logits divided by
     *                    the same temperature
     */
    public PpoRollouts(Settings settings, List<TokenizedExample> examples, Tokenizer tokenizer, RolloutGenerator generator,
                       RewardFunction reward, CausalLM policy, Function<Batch, double[]> refLogProbs, KlController kl, CompletionLog log) {
        this.settings = settings;
        this.prompts = new BatchSampler<>(examples, settings.rowsPerRollout(), settings.seed(), settings.shuffle());
        this.tokenizer = tokenizer;
        this.generator = generator;
        this.reward = reward;
        this.policy = policy;
        this.refLogProbs = refLogProbs;
        this.kl = kl;
        this.log = log;
        this.rounds = examples.size() / settings.rowsPerRollout();
        if (rounds == 0 && !examples.isEmpty()) {
            throw new JtuneException("dataset: " + examples.size() + " prompts, but one ppo rollout batch needs " + settings.rowsPerRollout()
                    + " (per_device_train_batch_size x gradient_accumulation_steps x ppo_buffer_size)");
        }
    }

    @Override
    public int batchesPerEpoch() {
        return rounds * settings.stepsPerRollout() * settings.accumulation();
    }

    @Override
    public boolean generatesOnline() {
        return true;
    }

    @Override
    public Batch batch(int epoch, int index) {
        int perRound = settings.stepsPerRollout() * settings.accumulation();
        int round = index / perRound;
        if (epoch != cachedEpoch || round != cachedRound) {
            int step = (epoch * batchesPerEpoch() + index) / settings.accumulation() + 1;
            rows.clear();
            cachedBatches = rollOut(epoch, round, step);
            cachedEpoch = epoch;
            cachedRound = round;
        }
        return cachedBatches.get(index % perRound);
    }

    @Override
    public PpoObjective.RolloutRows rows(Batch batch) {
        PpoObjective.RolloutRows r = rows.get(batch);
        if (r == null) throw new IllegalStateException("a ppo batch that was not rolled out by this run");
        return r;
    }

    /** The KL coefficient the next rollout batch will use. */
    public double klCoef() {
        return kl.value();
    }

    /** Generates, scores and evaluates one rollout batch, and cuts it into the micro-batches of its optimizer steps. */
    private List<Batch> rollOut(int epoch, int round, int step) {
        if (epoch != epochOfPrompts) {
            epochPrompts = prompts.epoch(epoch);
            epochOfPrompts = epoch;
        }
        List<TokenizedExample> roundPrompts = epochPrompts.get(round);
        long[] seeds = new long[roundPrompts.size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = RolloutBatches.mix(settings.seed(), epoch, round, i);
        Rollout r = rollOut(roundPrompts, seeds, true);
        kl.update(r.metrics().get("objective/kl").value(), seeds.length);
        writeLog(step, r.samples(), r.raw(), r.advantages());
        return trainingBatches(epoch, round, r);
    }

    /**
     * The evaluation of stage ppo on held-out prompts: each completed once by the current policy, with the same
     * seeds at every evaluation, scored by the reward model and given advantages under the current KL
     * coefficient (neither the coefficient nor ppo_score_norm's statistics learn from them; the scores are the
     * raw ones); the objective's loss and metrics over them are the evaluation's (eval_loss, eval_reward,
     * eval_kl, eval_ppo/...).
     */
    public io.jtune.train.EvalBatches evaluation(List<TokenizedExample> heldOut) {
        return new io.jtune.train.EvalBatches() {
            @Override
            public boolean isEmpty() {
                return heldOut.isEmpty();
            }

            @Override
            public List<Batch> make() {
                long[] seeds = new long[heldOut.size()];
                for (int i = 0; i < seeds.length; i++) seeds[i] = RolloutBatches.mix(settings.seed(), -1, 0, i);
                Rollout r = rollOut(heldOut, seeds, false);
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < seeds.length; i++) order.add(i);
                return cut(order, r, Integer.MAX_VALUE);
            }

            @Override
            public void release(List<Batch> batches) {
                for (Batch b : batches) rows.remove(b);
            }
        };
    }

    /** One rollout batch: its samples, scores, rollout-time log-probabilities and values, advantages and statistics. */
    private record Rollout(List<int[]> promptIds, List<int[]> completions, List<RewardFunction.Sample> samples, double[] raw,
                           double[][] logProbs, double[][] values, PpoAdvantages.Result advantages, Map<String, Metric> metrics) {}

    private Rollout rollOut(List<TokenizedExample> roundPrompts, long[] seeds, boolean training) {
        int n = roundPrompts.size();
        List<int[]> promptIds = new ArrayList<>(n);
        for (TokenizedExample e : roundPrompts) promptIds.add(e.inputIds());
        List<int[]> completions = generator.generate(promptIds, seeds);
        List<RewardFunction.Sample> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] answer = roundPrompts.get(i).get(TokenizedExample.ANSWER_TEXT);
            samples.add(new RewardFunction.Sample(tokenizer.decode(promptIds.get(i), false), tokenizer.decode(completions.get(i), true),
                    answer == null ? "" : new String(answer, 0, answer.length), promptIds.get(i), completions.get(i)));
        }
        double[] raw = reward.scoreAll(samples);
        if (raw.length != n) throw new JtuneException("reward_model returned " + raw.length + " scores for " + n + " completions");
        for (double s : raw) if (!Double.isFinite(s)) throw new JtuneException("reward_model returned the score " + s + "; scores must be finite");
        double[] scores = training && settings.scoreNorm() ? normalizer.normalise(raw) : raw;

        // log-probabilities and values at rollout time, from the training forward (no dropout), and the reference's
        double[][] logProbs = new double[n][], refs = new double[n][], values = new double[n][];
        for (int start = 0; start < n; start += settings.microBatchRows()) {
            int end = Math.min(n, start + settings.microBatchRows());
            Batch batch = rowsOf(promptIds.subList(start, end), completions.subList(start, end));
            Evaluated e = evaluate(batch);
            double[] ref = refLogProbs.apply(batch);
            int[] positions = PpoObjective.predictingPositions(batch);
            for (int r = start; r < end; r++) {
                int tokens = completions.get(r).length;
                logProbs[r] = new double[tokens];
                refs[r] = new double[tokens];
                values[r] = new double[tokens];
            }
            int[] filled = new int[end - start];
            for (int k = 0; k < positions.length; k++) {
                int local = positions[k] / batch.seqLen(), i = filled[local]++;
                logProbs[start + local][i] = e.logProbs()[positions[k]];
                refs[start + local][i] = ref[positions[k]];
                values[start + local][i] = e.values()[k];
            }
        }
        double coef = kl.value();
        PpoAdvantages.Result advantages = PpoAdvantages.compute(scores, logProbs, refs, values, coef, settings.advantages());
        Map<String, Metric> metrics = rolloutMetrics(raw, scores, logProbs, advantages, coef, promptIds, completions);
        return new Rollout(promptIds, completions, samples, raw, logProbs, values, advantages, metrics);
    }

    /** The policy's log-probabilities (per flat position) and values (per predicting position) of a batch. */
    private record Evaluated(double[] logProbs, double[] values) {}

    private Evaluated evaluate(Batch batch) {
        int[] positions = PpoObjective.predictingPositions(batch);
        ForwardOutput out = policy.forward(batch, policy.adapter(), false, positions, settings.temperature());
        ValueHead head = policy.valueHead();
        double[] v = new double[positions.length];
        for (int k = 0; k < v.length; k++) v[k] = head.score(out.hidden(), k * head.hidden());
        return new Evaluated(out.tokenLogProbs(), v);
    }

    /** ppo_epochs shuffles of the rollout rows, each cut into windows of micro-batches; the statistics come with each window's first. */
    private List<Batch> trainingBatches(int epoch, int round, Rollout r) {
        int n = r.promptIds().size();
        List<Batch> batches = new ArrayList<>();
        for (int e = 0; e < settings.ppoEpochs(); e++) {
            List<Integer> order = new ArrayList<>(n);
            for (int i = 0; i < n; i++) order.add(i);
            Collections.shuffle(order, new Random(RolloutBatches.mix(settings.seed() ^ 0x5050L, epoch, round, e)));
            batches.addAll(cut(order, r, settings.accumulation()));
        }
        return batches;
    }

    /**
     * The rows in {@code order} as micro-batches of per_device_train_batch_size rows, registered for the objective;
     * every {@code metricsEvery}-th, from the first, carries the rollout's statistics.
     */
    private List<Batch> cut(List<Integer> order, Rollout r, int metricsEvery) {
        int n = order.size(), mb = settings.microBatchRows();
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < n; start += mb) {
            List<Integer> picked = order.subList(start, Math.min(n, start + mb));
            List<int[]> p = new ArrayList<>(), c = new ArrayList<>();
            for (int i : picked) {
                p.add(r.promptIds().get(i));
                c.add(r.completions().get(i));
            }
            Batch batch = rowsOf(p, c);
            int[] positions = PpoObjective.predictingPositions(batch);
            double[] old = new double[batch.tokens()], oldV = new double[batch.tokens()], a = new double[batch.tokens()],
                    ret = new double[batch.tokens()];
            int[] filled = new int[picked.size()];
            for (int t : positions) {
                int local = t / batch.seqLen(), row = picked.get(local), i = filled[local]++;
                old[t] = r.logProbs()[row][i];
                oldV[t] = r.values()[row][i];
                a[t] = r.advantages().advantages()[row][i];
                ret[t] = r.advantages().returns()[row][i];
            }
            rows.put(batch, new PpoObjective.RolloutRows(old, oldV, a, ret, batches.size() % metricsEvery == 0 ? r.metrics() : Map.of()));
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

    /**
     * The rollout batch's statistics under TRL's names (record_step_stats), with LLaMA-Factory's reward
     * (the mean raw score) and kl (objective/kl); one value per rollout batch.
     */
    private static Map<String, Metric> rolloutMetrics(double[] raw, double[] scores, double[][] logProbs, PpoAdvantages.Result adv,
                                                      double coef, List<int[]> promptIds, List<int[]> completions) {
        int n = raw.length;
        double klSum = 0, entropy = 0, nonScore = 0;
        int tokens = 0;
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < logProbs[i].length; t++) {
                klSum += adv.kls()[i][t];
                entropy -= logProbs[i][t];
                nonScore += adv.nonScoreRewards()[i][t];
                tokens++;
            }
        }
        double[] queryLengths = new double[n], responseLengths = new double[n];
        for (int i = 0; i < n; i++) {
            queryLengths[i] = promptIds.get(i).length;
            responseLengths[i] = completions.get(i).length;
        }
        Map<String, Metric> m = new LinkedHashMap<>();
        m.put("reward", Metric.of(Moments.mean(raw), 1));
        m.put("kl", Metric.of(klSum / n, 1));
        m.put("objective/kl", Metric.of(klSum / n, 1));
        m.put("objective/kl_coef", Metric.of(coef, 1));
        m.put("objective/entropy", Metric.of(entropy / n, 1));
        m.put("ppo/mean_non_score_reward", Metric.of(tokens == 0 ? 0 : nonScore / tokens, 1));
        m.put("ppo/mean_scores", Metric.of(Moments.mean(scores), 1));
        if (n > 1) m.put("ppo/std_scores", Metric.of(Math.sqrt(Moments.unbiasedVariance(scores)), 1));
        m.put("tokens/queries_len_mean", Metric.of(Moments.mean(queryLengths), 1));
        m.put("tokens/responses_len_mean", Metric.of(Moments.mean(responseLengths), 1));
        return m;
    }

    private void writeLog(int step, List<RewardFunction.Sample> samples, double[] raw, PpoAdvantages.Result adv) {
        if (log == null || settings.logSamples() == 0) return;
        for (int i = 0; i < Math.min(settings.logSamples(), samples.size()); i++) {
            RewardFunction.Sample s = samples.get(i);
            double[] a = adv.advantages()[i];
            log.add(step, s.prompt(), s.completion(), s.answer(), raw[i], a.length == 0 ? 0 : Moments.mean(a), Map.of("reward_model", raw[i]));
        }
        log.flush();
    }
}
