package io.jtune.bench;

import io.jtune.infer.GenerationSettings;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import io.jtune.train.rollout.RolloutGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Rollout generation as stage grpo runs it, next to the same completions decoded one sequence at a
 * time. One round of a grpo step: P prompts each completed G times through {@link RolloutGenerator},
 * all P·G sequences decoded together (one pass over the weights per token for all of them, each with
 * its own KV cache), and then through the same generator with a batch of one, the single-sequence
 * decoding of jtune chat. The prompts are random token ids; every completion is sampled at
 * temperature 1 with a seed of its own, the same seeds in both runs, and without stop tokens, so each
 * is exactly the asked length and both runs generate the same tokens. The time of a run includes the
 * prompts' prefill, as a rollout's does; the runs of the two modes alternate, so load from other work
 * falls on both alike, and the median is reported.
 */
public final class RolloutBench {
    /**
     * @param prompts      prompts of the round
     * @param generations  completions per prompt (num_generations)
     * @param promptTokens tokens of each prompt
     * @param newTokens    tokens of each completion
     * @param runs         timed runs of each mode
     */
    public record Settings(int prompts, int generations, int promptTokens, int newTokens, int runs, long seed) {
        public int sequences() {
            return prompts * generations;
        }
    }

    /** One mode's figures: sequences decoded together, generated tokens of a run, its median seconds. */
    public record Row(String mode, int batch, long tokens, double seconds) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    /** Both modes, and whether they sampled the same completions (each sequence's seed fixes its tokens). */
    public record Result(Row batched, Row single, boolean sameCompletions) {
        public double speedup() {
            return batched.tokensPerSecond() / single.tokensPerSecond();
        }
    }

    private RolloutBench() {}

    /** Measures both modes on the model with this adapter (null: the model's own weights). */
    public static Result measure(CausalLM model, LoraAdapter adapter, Settings s) {
        int n = s.sequences();
        SplittableRandom random = new SplittableRandom(s.seed());
        List<int[]> prompts = new ArrayList<>(n);
        long[] seeds = new long[n];
        for (int p = 0; p < s.prompts(); p++) {
            int[] prompt = random.ints(s.promptTokens(), 0, model.config().vocabSize()).toArray();
            for (int g = 0; g < s.generations(); g++) {
                seeds[prompts.size()] = random.nextLong();
                prompts.add(prompt);
            }
        }
        GenerationSettings sampling = sampling(s.newTokens());
        RolloutGenerator together = new RolloutGenerator(model, adapter, sampling, Set.of(), n);
        RolloutGenerator oneByOne = new RolloutGenerator(model, adapter, sampling, Set.of(), 1);
        // warm-up: the JIT, the batcher's buffers and the weights' pages, in both modes
        GenerationSettings shortRun = sampling(Math.min(4, s.newTokens()));
        new RolloutGenerator(model, adapter, shortRun, Set.of(), n).generate(prompts, seeds);
        new RolloutGenerator(model, adapter, shortRun, Set.of(), 1).generate(prompts.subList(0, 1), seeds);

        double[] batchedSeconds = new double[s.runs()], singleSeconds = new double[s.runs()];
        List<int[]> batched = null, single = null;
        for (int r = 0; r < s.runs(); r++) {
            long start = System.nanoTime();
            batched = together.generate(prompts, seeds);
            batchedSeconds[r] = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            single = oneByOne.generate(prompts, seeds);
            singleSeconds[r] = (System.nanoTime() - start) / 1e9;
        }
        boolean same = true;
        for (int i = 0; i < n; i++) same &= Arrays.equals(batched.get(i), single.get(i));
        return new Result(new Row("batched (grpo rollouts)", n, tokens(batched), Measure.median(batchedSeconds)),
                new Row("one at a time (as jtune chat)", 1, tokens(single), Measure.median(singleSeconds)), same);
    }

    /** Sampling at temperature 1, no top_p, top_k or repetition penalty: the model's own distribution. */
    private static GenerationSettings sampling(int newTokens) {
        return new GenerationSettings(true, 1.0, 1.0, 0, 1.0, 0, 0, newTokens, null);
    }

    private static long tokens(List<int[]> completions) {
        long sum = 0;
        for (int[] c : completions) sum += c.length;
        return sum;
    }

    /** The table jtune bench rollout prints. */
    public static String table(Result result) {
        TextTable t = new TextTable("decoding", "sequences together", "generated tokens", "seconds", "tok/s", "vs one at a time")
                .numeric(1, 2, 3, 4, 5);
        for (Row r : List.of(result.batched(), result.single())) {
            t.add(r.mode(), Integer.toString(r.batch()), Long.toString(r.tokens()), String.format("%.3f", r.seconds()),
                    String.format("%.1f", r.tokensPerSecond()), String.format("%.2fx", r.tokensPerSecond() / result.single().tokensPerSecond()));
        }
        return t.render();
    }
}
