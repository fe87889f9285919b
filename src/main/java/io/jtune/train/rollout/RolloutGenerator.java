package io.jtune.train.rollout;

import io.jtune.JtuneException;
import io.jtune.infer.BatchedGeneration;
import io.jtune.infer.ContinuousBatcher;
import io.jtune.infer.GenerationSettings;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Samples completions of prompts with the policy as it is now: the decoding path of jtune chat and
 * the API ({@link ContinuousBatcher} on model.BatchDecoder: one pass over the weights for all
 * sequences, each with its own KV cache), run with the trained adapter object itself (or the model's
 * own trainable weights), so no weights are copied and every rollout sees the latest step's update.
 * Each sequence has its own seed, so completions do not depend on how the batcher groups them. A
 * batcher lives for one call: the KV caches it keeps for prefix reuse were computed with the weights
 * of that moment and must not outlive the next optimizer step.
 */
public final class RolloutGenerator {
    private final CausalLM model;
    private final LoraAdapter adapter;
    private final GenerationSettings settings;
    private final Set<Integer> stopIds;
    private final int maxBatch;

    /**
     * @param settings sampling (temperature, top_p, top_k) and max new tokens; the seed is set per sequence
     * @param maxBatch the most sequences decoded together
     */
    public RolloutGenerator(CausalLM model, LoraAdapter adapter, GenerationSettings settings, Set<Integer> stopIds, int maxBatch) {
        this.model = model;
        this.adapter = adapter;
        this.settings = settings;
        this.stopIds = Set.copyOf(stopIds);
        this.maxBatch = maxBatch;
    }

    public Set<Integer> stopIds() {
        return stopIds;
    }

    /** The completion of each prompt (its final stop token included when it stopped), sampled with seeds[i]. */
    public List<int[]> generate(List<int[]> prompts, long[] seeds) {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, Math.min(maxBatch, prompts.size()), 4096)) {
            return generate(batcher, prompts, seeds);
        }
    }

    private List<int[]> generate(ContinuousBatcher batcher, List<int[]> prompts, long[] seeds) {
        List<BatchedGeneration> running = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            running.add(batcher.submit(prompts.get(i), adapter, settings.withSeed(seeds[i]), stopIds));
        }
        List<int[]> completions = new ArrayList<>(prompts.size());
        try {
            for (BatchedGeneration g : running) {
                while (g.next() >= 0) {
                    // tokens are read from the generation's end, which holds all of them
                }
                completions.add(g.end().tokens());
            }
        } catch (InterruptedException e) {
            for (BatchedGeneration g : running) g.stop();
            Thread.currentThread().interrupt();
            throw new JtuneException("interrupted while generating rollouts", e);
        }
        return completions;
    }

    /** The model rollouts run on. */
    public CausalLM model() {
        return model;
    }
}
