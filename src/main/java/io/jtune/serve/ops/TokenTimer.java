package io.jtune.serve.ops;

import io.jtune.infer.TokenListener;

/**
 * Times the text of one reply as the engine hands it over: the first piece gives the time to first
 * token (from the request's arrival, so waiting in the queue counts, as the user sees it), each later
 * piece the latency since the one before. A piece is one token, or several when text was held back
 * (an unfinished character, a possible stop string).
 */
public final class TokenTimer implements TokenListener {
    private final ServerMetrics metrics;
    private final RequestRecord record;
    private final long arrivedNanos;
    private final TokenListener next;
    private long lastNanos = -1;

    public TokenTimer(ServerMetrics metrics, RequestRecord record, long arrivedNanos, TokenListener next) {
        this.metrics = metrics;
        this.record = record;
        this.arrivedNanos = arrivedNanos;
        this.next = next;
    }

    @Override
    public void onText(String piece) {
        long now = System.nanoTime();
        if (lastNanos < 0) {
            metrics.firstToken(record.model, (now - arrivedNanos) / 1e9);
            record.firstTokenMillis = (now - arrivedNanos) / 1e6;
        } else {
            metrics.interToken(record.model, (now - lastNanos) / 1e9);
        }
        lastNanos = now;
        next.onText(piece);
    }
}
