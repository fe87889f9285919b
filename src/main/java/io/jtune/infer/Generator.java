package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.model.InferenceSession;
import java.util.Arrays;
import java.util.Set;

/**
 * The decoding loop: prefill the prompt into an {@link InferenceSession}, then sample one token at
 * a time, feeding each back through the cache, until a stop id, the token budget, the model's
 * context, or the caller says stop.
 *
 * <p>A session that already holds a prefix of the new prompt (the previous turn of a chat) keeps it:
 * only the tokens after the shared prefix are prefilled.
 */
public final class Generator {

    /** Sees each generated token that is not a stop id; returns null to go on, or why to stop. */
    @FunctionalInterface
    public interface TokenSink {
        FinishReason accept(int token);
    }

    /**
     * @param tokens the generated tokens, including the stop id that ended the reply when one did
     * @param reason STOP (a stop id, or the sink said so), LENGTH or CANCELLED
     */
    public record Outcome(int[] tokens, FinishReason reason, int promptTokens, int reusedPromptTokens) {}

    private Generator() {}

    /** Runs one generation; {@code sink} may be null (prediction only wants the tokens). */
    public static Outcome generate(InferenceSession session, int[] prompt, GenerationSettings settings, Set<Integer> stopIds,
                                   TokenSink sink) {
        if (prompt.length == 0) throw new JtuneException("the prompt is empty: there is nothing to continue");
        if (prompt.length >= session.maxLength()) {
            throw new PromptTooLongException("the prompt has " + prompt.length + " tokens; the model's context is " + session.maxLength()
                    + " tokens (max_position_embeddings), which leaves no room for a reply. Shorten the conversation.");
        }
        int reused = reusePrefix(session, prompt);
        float[] logits = session.append(Arrays.copyOfRange(prompt, reused, prompt.length));

        int budget = Math.min(settings.maxNewTokens(), session.maxLength() - prompt.length);
        int[] context = Arrays.copyOf(prompt, prompt.length + budget);
        int length = prompt.length;
        Sampler sampler = new Sampler(settings);
        FinishReason reason = FinishReason.LENGTH;
        while (length - prompt.length < budget) {
            int token = sampler.next(logits, context, length, prompt.length);
            context[length++] = token;
            if (stopIds.contains(token)) {
                reason = FinishReason.STOP;
                break;
            }
            FinishReason stop = sink == null ? null : sink.accept(token);
            if (stop != null) {
                reason = stop;
                break;
            }
            if (length - prompt.length < budget) logits = session.append(token);
        }
        return new Outcome(Arrays.copyOfRange(context, prompt.length, length), reason, prompt.length, reused);
    }

    /** Keeps the longest cached prefix of {@code prompt} (at least one prompt token is always run, for its logits). */
    private static int reusePrefix(InferenceSession session, int[] prompt) {
        int[] cached = session.tokens();
        int shared = 0;
        int limit = Math.min(cached.length, prompt.length - 1);
        while (shared < limit && cached[shared] == prompt[shared]) shared++;
        session.truncate(shared);
        return shared;
    }
}
