package io.jtune.serve.openai;

import io.javalin.http.Context;
import io.jtune.JtuneException;
import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatEngine;
import io.jtune.infer.ChatResult;
import io.jtune.infer.FinishReason;
import io.jtune.infer.TokenListener;
import io.jtune.serve.ApiSettings;
import io.jtune.serve.ops.RequestRecord;
import io.jtune.serve.ops.ServerMetrics;
import io.jtune.serve.ops.TokenTimer;
import java.io.IOException;
import java.time.Clock;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POST /v1/chat/completions: reads and validates the body, waits for the model's turn, generates,
 * and answers with one chat.completion or, with stream true, a stream of chat.completion.chunk events
 * (a role delta, content deltas, one delta per tool call, a delta with the finish_reason, optionally
 * usage, then [DONE]).
 */
final class ChatCompletions {
    private static final Logger LOG = LoggerFactory.getLogger(ChatCompletions.class);

    private final ChatEngine engine;
    private final ServedModels models;
    private final GenerationQueue queue;
    private final ServerMetrics metrics;
    private final long maxRequestBytes;
    private final boolean logPrompts;
    private final Clock clock;

    ChatCompletions(ChatEngine engine, ServedModels models, GenerationQueue queue, ServerMetrics metrics, ApiSettings settings, Clock clock) {
        this.engine = engine;
        this.models = models;
        this.queue = queue;
        this.metrics = metrics;
        this.maxRequestBytes = settings.maxRequestBytes();
        this.logPrompts = settings.logPrompts();
        this.clock = clock;
    }

    void handle(Context ctx) throws IOException, InterruptedException {
        long arrived = System.nanoTime();
        RequestRecord record = RequestRecord.of(ctx);
        requireJson(ctx);
        ChatCompletionCall call = ChatCompletionParser.parse(
                BoundedBody.read(ctx.req().getInputStream(), ctx.req().getContentLengthLong(), maxRequestBytes));
        record.stream = call.stream();
        if (logPrompts) record.messages = call.loggedMessages();
        String adapter = models.adapterFor(call.model()); // before queueing: an unknown model is refused at once
        record.model = adapter == null ? models.baseId() : adapter;
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        record.requestId = id;
        long created = clock.millis() / 1000;
        try (var _ = queue.awaitTurn()) { // held until the reply is complete
            ChatResult result;
            if (call.stream()) {
                result = stream(ctx, call, adapter, id, created, record, arrived);
            } else {
                result = generate(call, adapter, new Cancellation(), new TokenTimer(metrics, record, arrived, TokenListener.IGNORE));
                ctx.status(200).contentType("application/json").result(OpenAiJson.completion(id, created, call.model(), result));
            }
            if (result != null) {
                record.promptTokens = result.promptTokens();
                record.completionTokens = result.completionTokens();
                record.finishReason = result.finishReason().wireName();
                metrics.tokens(record.model, result.promptTokens(), result.completionTokens());
            }
        }
    }

    /**
     * Only JSON bodies: a browser can send text/plain (or a form) to any site without asking first,
     * application/json it cannot, so this refusal keeps other web pages from driving the model.
     */
    static void requireJson(Context ctx) {
        String type = ctx.header("Content-Type");
        String mime = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        if (!mime.equals("application/json")) {
            throw ApiError.unsupportedMediaType(type);
        }
    }

    /** Streams the reply; returns its result, or null when the client left or the engine refused. */
    private ChatResult stream(Context ctx, ChatCompletionCall call, String adapter, String id, long created, RequestRecord record, long arrived)
            throws IOException {
        ctx.status(200);
        ctx.contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Accel-Buffering", "no"); // tells nginx-style proxies not to hold the stream back
        Cancellation cancellation = new Cancellation();
        SseStream sse = new SseStream(ctx.res().getOutputStream(), cancellation::cancel);
        boolean usage = call.includeUsage(); // then every chunk before the usage chunk carries "usage": null, as OpenAI's
        sse.send(OpenAiJson.chunk(id, created, call.model(), "assistant", "", null, usage));
        if (sse.clientGone()) {
            return null;
        }
        ChatResult result;
        try {
            result = generate(call, adapter, cancellation, new TokenTimer(metrics, record, arrived,
                    piece -> sse.send(OpenAiJson.chunk(id, created, call.model(), null, piece, null, usage))));
        } catch (ApiError e) {
            // The status line is already sent: report the error in the stream, as OpenAI does, and end without [DONE].
            sse.send(OpenAiJson.error(e));
            return null;
        }
        if (result.finishReason() == FinishReason.CANCELLED || sse.clientGone()) {
            LOG.info("{}: client disconnected after {} tokens, generation cancelled", id, result.completionTokens());
            record.finishReason = "cancelled";
            record.promptTokens = result.promptTokens();
            record.completionTokens = result.completionTokens();
            metrics.tokens(record.model, result.promptTokens(), result.completionTokens());
            return null;
        }
        for (int i = 0; i < result.toolCalls().size(); i++) {
            sse.send(OpenAiJson.toolCallChunk(id, created, call.model(), i, result.toolCalls().get(i), usage));
        }
        sse.send(OpenAiJson.chunk(id, created, call.model(), null, null, result.finishReason().wireName(), usage));
        if (call.includeUsage()) {
            sse.send(OpenAiJson.usageChunk(id, created, call.model(), result));
        }
        sse.done();
        return result;
    }

    /** Runs the engine; its user-facing errors (a prompt longer than the context...) become a 400, bugs a 500. */
    private ChatResult generate(ChatCompletionCall call, String adapter, Cancellation cancellation, TokenListener listener) {
        try {
            return engine.generate(adapter, call.toChatRequest(cancellation), listener);
        } catch (io.jtune.infer.UnknownModelException e) { // unloaded while this request waited
            throw ApiError.modelNotFound(e.model(), models.ids());
        } catch (io.jtune.infer.PromptTooLongException e) {
            throw ApiError.contextLengthExceeded(e.getMessage());
        } catch (io.jtune.infer.ToolsUnavailableException e) {
            throw ApiError.invalid("tools", e.getMessage());
        } catch (JtuneException e) {
            throw ApiError.invalid("messages", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(null, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("generation failed", e);
            throw ApiError.internal("Generation failed: " + e);
        }
    }
}
