package io.jtune.serve.ops;

import io.javalin.http.Context;
import java.util.List;

/**
 * What a chat completion leaves for its access log line and the request counters, filled in while it
 * is handled: the served model it went to, its token counts, why it ended, when its first text came,
 * and (only when prompt logging is switched on) its messages.
 */
public final class RequestRecord {
    private static final String ATTRIBUTE = "jtune.request-record";

    public String requestId;
    public String model = ServerMetrics.UNKNOWN_MODEL;
    public boolean stream;
    public int promptTokens = -1;
    public int completionTokens = -1;
    public String finishReason;
    public double firstTokenMillis = -1;
    /** Role and content of each message, system first; null unless API_LOG_PROMPTS is on. */
    public List<String[]> messages;

    /** The record of the request {@code ctx} handles, created on first use. */
    public static RequestRecord of(Context ctx) {
        RequestRecord r = ctx.attribute(ATTRIBUTE);
        if (r == null) {
            r = new RequestRecord();
            ctx.attribute(ATTRIBUTE, r);
        }
        return r;
    }

    /** The record, or null for a request that is not a chat completion. */
    static RequestRecord find(Context ctx) {
        return ctx.attribute(ATTRIBUTE);
    }
}
