package io.jtune.serve;

import io.jtune.JtuneException;
import io.jtune.infer.ChatEngine;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.infer.FinishReason;
import io.jtune.infer.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic stand-in for a model: answers each conversation with a scripted reply that
 * depends only on the last user message, sent word by word with a short pause per "token". It
 * keeps the ChatEngine contract (max_tokens, cancellation between tokens) and records what it saw.
 */
final class FakeChatEngine implements ChatEngine {
    /** Requests in the order their generation started. */
    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
    /** Results in the order their generation ended. */
    final List<ChatResult> results = new CopyOnWriteArrayList<>();
    /** Largest number of generations seen running at the same moment (must stay 1). */
    final AtomicInteger maxConcurrent = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final long pauseMicros;
    /** When set, every generation waits for it to open before its first token. */
    volatile CountDownLatch gate;
    /** Signals that a generation has started (for tests that hold the model busy). */
    volatile CountDownLatch started = new CountDownLatch(1);

    /** A user message the fake refuses the way a real engine refuses a prompt longer than its context. */
    static final String TOO_LONG = "please fail: too long";

    FakeChatEngine(long pauseMicros) {
        this.pauseMicros = pauseMicros;
    }

    @Override
    public String modelName() {
        return "fake-echo";
    }

    /** The reply's tokens for a conversation whose last user message is {@code userMessage}. */
    static List<String> tokens(String userMessage) {
        List<String> tokens = new ArrayList<>(List.of("You ", "said: "));
        for (String word : userMessage.split(" ")) {
            tokens.add(word + " ");
        }
        tokens.add("— 你好"); // multi-byte text must arrive intact
        tokens.add("🙂.");   // a code point outside the BMP (two Java chars, four UTF-8 bytes)
        int count = 3 + Math.floorMod(userMessage.hashCode(), 5);
        for (int i = 1; i <= count; i++) {
            tokens.add(" " + i);
        }
        return tokens;
    }

    static String reply(String userMessage) {
        return String.join("", tokens(userMessage));
    }

    static int promptTokens(ChatRequest request) {
        int words = request.system() == null ? 0 : request.system().split(" ").length;
        for (ChatMessage m : request.messages()) {
            words += m.content().split(" ").length;
        }
        return words;
    }

    /** Adapter names it pretends to serve; each answers as the base does. */
    final List<String> adapters = new CopyOnWriteArrayList<>();

    @Override
    public List<String> adapterNames() {
        return List.copyOf(adapters);
    }

    @Override
    public ChatResult generate(String adapter, ChatRequest request, TokenListener listener) {
        if (adapter != null && !adapters.contains(adapter)) throw new io.jtune.infer.UnknownModelException(adapter, "no adapter " + adapter);
        return generate(request, listener);
    }

    @Override
    public ChatResult generate(ChatRequest request, TokenListener listener) {
        int now = running.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        requests.add(request);
        started.countDown();
        try {
            awaitGate();
            if (request.messages().getLast().content().equals(TOO_LONG)) {
                throw new io.jtune.infer.PromptTooLongException("the prompt has 5000 tokens but the model's context is 4096");
            }
            List<String> tokens = tokens(request.messages().getLast().content());
            int limit = request.sampling().maxTokens() == null ? Integer.MAX_VALUE : request.sampling().maxTokens();
            StringBuilder text = new StringBuilder();
            int generated = 0;
            FinishReason reason = FinishReason.STOP;
            for (String token : tokens) {
                if (request.cancellation().isCancelled()) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                if (generated == limit) {
                    reason = FinishReason.LENGTH;
                    break;
                }
                pause();
                text.append(token);
                generated++;
                listener.onText(token);
            }
            ChatResult result = new ChatResult(text.toString(), reason, promptTokens(request), generated);
            results.add(result);
            return result;
        } finally {
            running.decrementAndGet();
        }
    }

    private void awaitGate() {
        CountDownLatch g = gate;
        if (g == null) {
            return;
        }
        try {
            if (!g.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void pause() {
        if (pauseMicros > 0) {
            try {
                TimeUnit.MICROSECONDS.sleep(pauseMicros);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
