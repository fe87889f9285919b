package io.jtune.serve.ops;

import io.jtune.infer.TokenListener;

/**
 * Times one reply's tokens as the engine hands them over: the first gives the time to first token
 * (from the request's arrival, so waiting in the queue counts, as the user sees it), each later one
 * the latency since the one before. Engines that report tokens ({@link TokenListener#onToken}) are
 * timed per token; others per piece of text (one token, or several when text was held back).
 */
public final class TokenTimer implements TokenListener {
    private final ServerMetrics metrics;
    private final RequestRecord record;
    private final long arrivedNanos;
    private final TokenListener next;
    private long lastNanos = -1;
    private boolean perToken;

    public TokenTimer(ServerMetrics metrics, RequestRecord record, long arrivedNanos, TokenListener next) {
        this.metrics = metrics;
        this.record = record;
        this.arrivedNanos = arrivedNanos;
        this.next = next;
    }

    @Override
    public void onToken() {
        perToken = true;
        tick();
        next.onToken();
    }

    @Override
    public void onText(String piece) {
        if (!perToken) tick();
        next.onText(piece);
    }

    private void tick() {
        long now = System.nanoTime();
        if (lastNanos < 0) {
            metrics.firstToken(record.model, (now - arrivedNanos) / 1e9);
            record.firstTokenMillis = (now - arrivedNanos) / 1e6;
        } else {
            metrics.interToken(record.model, (now - lastNanos) / 1e9);
        }
        lastNanos = now;
    }
}
