package io.jtune.infer;

import io.jtune.model.LoraAdapter;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One request's generation inside a {@link ContinuousBatcher}: what to generate (prompt, adapter,
 * settings, stop ids), and the channel its tokens come back through. The scheduler thread produces;
 * the requesting thread consumes with {@link #next}, at its own pace (a slow client never holds up the
 * batch), and may {@link #stop} it at any time (a stop string matched, the client left): the sequence
 * then leaves the batch at the next step.
 */
public final class BatchedGeneration {
    /** How a generation ended, with every token it generated (a final stop id included). */
    public record End(FinishReason reason, int[] tokens, RuntimeException error) {}

    final int[] prompt;
    final LoraAdapter adapter;
    final GenerationSettings settings;
    final Set<Integer> stopIds;
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private volatile boolean stopped;
    private volatile int reusedPromptTokens;
    private End end;

    BatchedGeneration(int[] prompt, LoraAdapter adapter, GenerationSettings settings, Set<Integer> stopIds) {
        this.prompt = prompt;
        this.adapter = adapter;
        this.settings = settings;
        this.stopIds = stopIds;
    }

    /** Asks the scheduler to drop this generation; tokens already produced may still be read. */
    public void stop() {
        stopped = true;
    }

    boolean stopped() {
        return stopped;
    }

    public int promptTokens() {
        return prompt.length;
    }

    /** Prompt tokens found in a kept cache (a previous turn of the same chat) and not prefilled again. */
    public int reusedPromptTokens() {
        return reusedPromptTokens;
    }

    void reused(int tokens) {
        reusedPromptTokens = tokens;
    }

    /**
     * The next generated token that is not a stop id, or -1 when the generation has ended (then
     * {@link #end()} says how). Blocks until the scheduler produces one.
     *
     * @throws RuntimeException the failure of the step this generation was in
     */
    public int next() throws InterruptedException {
        if (end != null) return -1;
        Object event = events.poll(1, TimeUnit.HOURS);
        if (event == null) throw new IllegalStateException("no token for an hour: the batch scheduler is stuck");
        if (event instanceof Integer token) return token;
        end = (End) event;
        if (end.error() != null) throw end.error();
        return -1;
    }

    /** How the generation ended; null until {@link #next} returned -1. */
    public End end() {
        return end;
    }

    void emit(int token) {
        events.add(token);
    }

    void finish(FinishReason reason, int[] context, int from, int to) {
        events.add(new End(reason, Arrays.copyOfRange(context, from, to), null));
    }

    void fail(RuntimeException error) {
        events.add(new End(FinishReason.STOP, new int[0], error));
    }
}
