package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.model.BatchDecoder;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import io.jtune.nn.ParallelTasks;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching: one scheduler thread decodes every running generation together, one token
 * each per step, in one pass over the weights ({@link BatchDecoder}). A new request joins at the
 * next step and a finished one leaves at once, so nobody waits for a whole batch to end. A new
 * prompt is prefilled in chunks of at most {@code prefillTokensPerStep} tokens that ride along with
 * the running sequences' decode tokens, so a long prompt delays the others by a bounded amount per
 * step instead of stalling them for its whole prefill. Generations with different adapters share
 * the steps.
 *
 * <p>At most {@code maxBatch} generations run; more wait in arrival order. A finished sequence's KV
 * cache is kept (a few, least recently used first out) so that the next turn of the same chat, whose
 * prompt starts with the previous prompt and reply, prefills only its new tokens.
 */
public final class ContinuousBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousBatcher.class);
    /** Finished sequences kept for prefix reuse. */
    static final int IDLE_KEPT = 2;

    private final BatchDecoder decoder;
    private final int maxBatch;
    private final int prefillTokensPerStep;
    private final LinkedBlockingDeque<BatchedGeneration> waiting = new LinkedBlockingDeque<>();
    private final List<Running> running = new ArrayList<>();
    private final ArrayDeque<BatchDecoder.Sequence> idle = new ArrayDeque<>();
    private final AtomicInteger runningCount = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong steps = new java.util.concurrent.atomic.AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    /** A generation in the batch: its cache, where its prompt's prefill stands, its sampler and tokens. */
    private static final class Running {
        final BatchedGeneration gen;
        final BatchDecoder.Sequence sequence;
        final Sampler sampler;
        final int[] context;       // prompt, then generated tokens
        final int budget;          // new tokens at most
        int length;                // tokens of context filled
        int prefilled;             // prompt tokens in the cache

        Running(BatchedGeneration gen, BatchDecoder.Sequence sequence, int reused, int budget) {
            this.gen = gen;
            this.sequence = sequence;
            this.sampler = new Sampler(gen.settings);
            this.budget = budget;
            this.context = Arrays.copyOf(gen.prompt, gen.prompt.length + budget);
            this.length = gen.prompt.length;
            this.prefilled = reused;
        }

        boolean prefilling() {
            return prefilled < gen.prompt.length;
        }
    }

    public ContinuousBatcher(CausalLM model, int maxBatch, int prefillTokensPerStep) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        if (prefillTokensPerStep < 1) throw new IllegalArgumentException("prefillTokensPerStep must be at least 1, got " + prefillTokensPerStep);
        this.decoder = new BatchDecoder(model);
        this.maxBatch = maxBatch;
        this.prefillTokensPerStep = prefillTokensPerStep;
        this.thread = Thread.ofPlatform().name("jtune-batcher").daemon(true).start(this::loop);
    }

    /** The most generations decoded together. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Generations in the running batch now. */
    public int running() {
        return runningCount.get();
    }

    /** Generations waiting for a place in the batch. */
    public int waiting() {
        return waiting.size();
    }

    /** Passes over the weights so far (each advances every running generation by a token or a prefill chunk). */
    public long steps() {
        return steps.get();
    }

    /** The model's context length. */
    public int maxLength() {
        return decoder.maxLength();
    }

    /**
     * Queues a generation; its tokens arrive through the returned handle.
     *
     * @throws PromptTooLongException when the prompt leaves no room for a reply in the model's context
     */
    public BatchedGeneration submit(int[] prompt, LoraAdapter adapter, GenerationSettings settings, Set<Integer> stopIds) {
        if (prompt.length == 0) throw new JtuneException("the prompt is empty: there is nothing to continue");
        if (prompt.length >= decoder.maxLength()) {
            throw new PromptTooLongException("the prompt has " + prompt.length + " tokens; the model's context is " + decoder.maxLength()
                    + " tokens (max_position_embeddings), which leaves no room for a reply. Shorten the conversation.");
        }
        if (closed) throw new IllegalStateException("the batch scheduler is closed");
        BatchedGeneration gen = new BatchedGeneration(prompt.clone(), adapter, settings, stopIds);
        waiting.add(gen);
        return gen;
    }

    private void loop() {
        while (!closed) {
            try {
                if (!admit()) continue;
                step();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) { // a bug: fail the batch, keep serving later requests
                LOG.error("batched decoding step failed", e);
                RuntimeException error = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                for (Running r : running) r.gen.fail(error);
                running.clear();
                runningCount.set(0);
            }
        }
    }

    /** Drops stopped generations and moves waiting ones into the batch; false when there is nothing to run. */
    private boolean admit() throws InterruptedException {
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running r = it.next();
            if (r.gen.stopped()) {
                it.remove();
                r.gen.finish(FinishReason.CANCELLED, r.context, r.gen.prompt.length, r.length);
                keepIdle(r);
            }
        }
        if (running.isEmpty()) {
            BatchedGeneration first = waiting.poll(200, TimeUnit.MILLISECONDS);
            if (first == null) {
                runningCount.set(0);
                return false;
            }
            start(first);
        }
        while (running.size() < maxBatch) {
            BatchedGeneration next = waiting.poll();
            if (next == null) break;
            start(next);
        }
        runningCount.set(running.size());
        return !running.isEmpty();
    }

    private void start(BatchedGeneration gen) {
        if (gen.stopped()) {
            gen.finish(FinishReason.CANCELLED, gen.prompt, gen.prompt.length, gen.prompt.length);
            return;
        }
        BatchDecoder.Sequence sequence = reuse(gen);
        int reused = sequence.length();
        gen.reused(reused);
        int budget = Math.min(gen.settings.maxNewTokens(), decoder.maxLength() - gen.prompt.length);
        running.add(new Running(gen, sequence, reused, budget));
    }

    /** The kept sequence sharing the longest prefix with the prompt (same adapter), truncated to it, or a new one. */
    private BatchDecoder.Sequence reuse(BatchedGeneration gen) {
        BatchDecoder.Sequence best = null;
        int bestShared = 0;
        for (BatchDecoder.Sequence s : idle) {
            if (s.adapter() != gen.adapter) continue;
            int[] cached = s.tokens();
            int shared = 0, limit = Math.min(cached.length, gen.prompt.length - 1); // the last prompt token always runs, for its logits
            while (shared < limit && cached[shared] == gen.prompt[shared]) shared++;
            if (shared > bestShared) {
                best = s;
                bestShared = shared;
            }
        }
        if (best == null) return decoder.newSequence(gen.adapter);
        idle.remove(best);
        best.truncate(bestShared);
        return best;
    }

    private void keepIdle(Running r) {
        idle.remove(r.sequence);
        idle.addFirst(r.sequence);
        while (idle.size() > IDLE_KEPT) idle.removeLast();
    }

    /** One pass: a decode token for each sequence past its prompt, prefill chunks within the budget. */
    private void step() {
        List<BatchDecoder.Segment> segments = new ArrayList<>();
        List<Running> owners = new ArrayList<>();
        int prefillBudget = prefillTokensPerStep;
        for (Running r : running) {
            if (!r.prefilling()) {
                segments.add(new BatchDecoder.Segment(r.sequence, new int[] {r.context[r.length - 1]}, true));
                owners.add(r);
            } else if (prefillBudget > 0) {
                int chunk = Math.min(prefillBudget, r.gen.prompt.length - r.prefilled);
                boolean last = r.prefilled + chunk == r.gen.prompt.length;
                segments.add(new BatchDecoder.Segment(r.sequence, Arrays.copyOfRange(r.gen.prompt, r.prefilled, r.prefilled + chunk), last,
                        r.gen.prompt.length - 1));   // the whole prompt is one forward call in transformers
                owners.add(r);
                prefillBudget -= chunk;
            }
        }
        float[] logits = decoder.step(segments);
        steps.incrementAndGet();
        int vocab = decoder.vocabSize();
        List<Running> sampling = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            Running r = owners.get(i);
            if (r.prefilling()) {
                r.prefilled += segments.get(i).tokens().length;
                if (r.prefilling()) continue; // more prompt to go: no logits wanted
            }
            sampling.add(r);
        }
        // Sampling (penalties, top-k/top-p: passes over the vocabulary) runs for all sequences in parallel; each has its own
        // sampler and random stream, so the tokens do not depend on the thread count.
        int[] tokens = new int[sampling.size()];
        ParallelTasks.forEach(sampling.size(), i -> {
            Running r = sampling.get(i);
            float[] rowLogits = Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab);
            tokens[i] = r.sampler.next(rowLogits, r.context, r.length, r.gen.prompt.length);
        });
        for (int i = 0; i < tokens.length; i++) accept(sampling.get(i), tokens[i]);
    }

    /** A sampled token: a stop id or the budget ends the generation; any other token goes to the reader. */
    private void accept(Running r, int token) {
        r.context[r.length++] = token;
        FinishReason end = null;
        if (r.gen.stopIds.contains(token)) {
            end = FinishReason.STOP;
        } else {
            r.gen.emit(token);
            if (r.length - r.gen.prompt.length >= r.budget) end = FinishReason.LENGTH;
        }
        if (end != null) {
            running.remove(r);
            runningCount.set(running.size());
            r.gen.finish(end, r.context, r.gen.prompt.length, r.length);
            keepIdle(r);
        }
    }

    /** Stops the scheduler; generations still running end with an error. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IllegalStateException error = new IllegalStateException("the model was closed while generating");
        for (Running r : running) r.gen.fail(error);
        for (BatchedGeneration g : waiting) g.fail(error);
    }
}
