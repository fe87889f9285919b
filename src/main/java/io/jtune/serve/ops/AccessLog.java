package io.jtune.serve.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line per request, a JSON object a log pipeline parses without patterns: time,
 * method, path, status, latency, and for a chat completion its id, model, token counts, finish
 * reason and time to first token. The prompt's text is left out unless API_LOG_PROMPTS asks for it.
 * Also counts the chat completion in {@link ServerMetrics}, since this is where its final status is
 * known. The probes' own requests (GET /health, GET /metrics) are not logged: they come every few
 * seconds and say nothing about the traffic.
 */
public final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("io.jtune.serve.access");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Consumer<String> sink;
    private final ServerMetrics metrics;

    /** Lines go to the logger io.jtune.serve.access (info). */
    public AccessLog(ServerMetrics metrics) {
        this(metrics, LOG::info);
    }

    public AccessLog(ServerMetrics metrics, Consumer<String> sink) {
        this.metrics = metrics;
        this.sink = sink;
    }

    /** Javalin's request logger: runs once the response is complete (a stream: after its last event). */
    public void log(Context ctx, Float millis) {
        String path = ctx.path();
        if (path.equals("/health") || path.equals("/metrics")) return;
        RequestRecord record = RequestRecord.find(ctx);
        int status = ctx.statusCode();
        if (record != null) metrics.request(record.model, status);
        ObjectNode line = JSON.createObjectNode()
                .put("time", Instant.now().toString())
                .put("method", ctx.method().name())
                .put("path", path)
                .put("status", status)
                .put("latency_ms", Math.round(millis * 10) / 10.0);
        if (record != null) {
            if (record.requestId != null) line.put("id", record.requestId);
            line.put("model", record.model).put("stream", record.stream);
            if (record.promptTokens >= 0) line.put("prompt_tokens", record.promptTokens);
            if (record.completionTokens >= 0) line.put("completion_tokens", record.completionTokens);
            if (record.finishReason != null) line.put("finish_reason", record.finishReason);
            if (record.firstTokenMillis >= 0) line.put("ttft_ms", Math.round(record.firstTokenMillis * 10) / 10.0);
            if (record.messages != null) {
                ArrayNode messages = line.putArray("messages");
                for (String[] m : record.messages) messages.addObject().put("role", m[0]).put("content", m[1]);
            }
        }
        try {
            sink.accept(JSON.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }
}
