package io.jtune.serve.openai;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.jtune.infer.ChatEngine;
import io.jtune.serve.ApiSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible endpoints on a Javalin router: GET /v1/models, POST /v1/chat/completions,
 * the Bearer-key check in front of them, and OpenAI-shaped bodies for every error.
 */
public final class OpenAiRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiRoutes.class);

    private final ApiSettings settings;
    private final ChatCompletions chatCompletions;
    private final Clock clock;

    public OpenAiRoutes(ChatEngine engine, ApiSettings settings) {
        this(engine, settings, Clock.systemUTC());
    }

    OpenAiRoutes(ChatEngine engine, ApiSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.chatCompletions = new ChatCompletions(engine, new GenerationQueue(settings.maxQueue()), settings.maxRequestBytes(), clock);
    }

    public void install(RoutesConfig routes) {
        routes.before("/v1/*", this::checkApiKey);
        routes.get("/v1/models", this::listModels);
        routes.post("/v1/chat/completions", chatCompletions::handle);
        routes.exception(ApiError.class, (error, ctx) -> respond(ctx, error));
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            respond(ctx, ApiError.internal("Internal error: " + e));
        });
        routes.error(404, ctx -> respond(ctx, ApiError.notFound(ctx.method().name(), ctx.path())));
    }

    private void listModels(Context ctx) {
        ctx.contentType("application/json").result(OpenAiJson.modelList(settings.modelName(), clock.millis() / 1000));
    }

    /** Without API_KEY every request passes, as in LLaMA-Factory; with it, 'Authorization: Bearer KEY' is required. */
    private void checkApiKey(Context ctx) {
        if (settings.apiKey() == null) {
            return;
        }
        String header = ctx.header("Authorization");
        String prefix = "Bearer ";
        boolean ok = header != null
                && header.regionMatches(true, 0, prefix, 0, prefix.length())
                // constant-time comparison: response timing does not reveal how much of a guess was right
                && MessageDigest.isEqual(header.substring(prefix.length()).strip().getBytes(StandardCharsets.UTF_8),
                        settings.apiKey().getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            throw ApiError.unauthorized();
        }
    }

    private static void respond(Context ctx, ApiError error) {
        if (ctx.res().isCommitted()) {
            return; // a stream already under way reports its own errors
        }
        if (error.status() == 413) {
            ctx.header("Connection", "close"); // the unread rest of the body makes the connection unusable
        }
        if (error.status() == 503) {
            ctx.header("Retry-After", "1");
        }
        if (error.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
        }
        ctx.status(error.status()).contentType("application/json").result(OpenAiJson.error(error));
    }
}
