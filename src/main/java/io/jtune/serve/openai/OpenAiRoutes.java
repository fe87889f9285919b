package io.jtune.serve.openai;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.jtune.infer.ChatEngine;
import io.jtune.serve.ApiSettings;
import io.jtune.serve.ops.ServerMetrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible endpoints on a Javalin router: GET /v1/models, POST /v1/chat/completions,
 * vLLM's POST /v1/load_lora_adapter and /v1/unload_lora_adapter, the Bearer-key check in front of
 * them, and OpenAI-shaped bodies for every error.
 */
public final class OpenAiRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiRoutes.class);

    private final ApiSettings settings;
    private final ChatCompletions chatCompletions;
    private final ModelsEndpoint models;
    private final LoraAdapterEndpoints adapters;

    public OpenAiRoutes(ChatEngine engine, ApiSettings settings, GenerationQueue queue, ServerMetrics metrics) {
        this(engine, settings, queue, metrics, Clock.systemUTC());
    }

    OpenAiRoutes(ChatEngine engine, ApiSettings settings, GenerationQueue queue, ServerMetrics metrics, Clock clock) {
        this.settings = settings;
        ServedModels served = new ServedModels(settings.modelName(), engine);
        this.models = new ModelsEndpoint(served, clock);
        this.adapters = new LoraAdapterEndpoints(engine, settings, settings.modelName());
        this.chatCompletions = new ChatCompletions(engine, served, queue, metrics, settings, clock);
    }

    /** The endpoints and the one method each answers; another method on one of them gets 405. */
    private static final Map<Pattern, String> ENDPOINTS = Map.of(
            Pattern.compile("/v1/models/?"), "GET",
            Pattern.compile("/v1/models/[^/]+/?"), "GET",
            Pattern.compile("/v1/chat/completions/?"), "POST",
            Pattern.compile("/v1/load_lora_adapter/?"), "POST",
            Pattern.compile("/v1/unload_lora_adapter/?"), "POST",
            Pattern.compile("/health/?"), "GET",
            Pattern.compile("/metrics/?"), "GET");
    /** Set on a request once its error body is written, so that the 404 handler leaves an endpoint's own 404 alone. */
    private static final String ANSWERED = "jtune.error-answered";
    private static final Pattern LOOPBACK_HOST = Pattern.compile("(localhost|127(\\.\\d{1,3}){3}|\\[::1\\])(:\\d+)?",
            Pattern.CASE_INSENSITIVE);

    public void install(RoutesConfig routes) {
        routes.before("/v1/*", this::checkApiKey);
        routes.get("/v1/models", models::list);
        routes.get("/v1/models/{id}", models::get);
        routes.post("/v1/chat/completions", chatCompletions::handle);
        routes.post("/v1/load_lora_adapter", adapters::load);
        routes.post("/v1/unload_lora_adapter", adapters::unload);
        routes.error(405, ctx -> {
            if (ctx.attribute(ANSWERED) == null) { // not a 405 of our own (a reward-model server asked to generate)
                respond(ctx, ApiError.methodNotAllowed(ctx.method().name(), ctx.path(), allowedMethod(ctx.path())));
            }
        });
        routes.exception(ApiError.class, (error, ctx) -> respond(ctx, error));
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            respond(ctx, ApiError.internal("Internal error: " + e));
        });
        routes.error(404, ctx -> {
            if (ctx.attribute(ANSWERED) == null) { // not a 404 of our own (an unknown model id)
                respond(ctx, ApiError.notFound(ctx.method().name(), ctx.path()));
            }
        });
    }

    private static String allowedMethod(String path) {
        return ENDPOINTS.entrySet().stream().filter(e -> e.getKey().matcher(path).matches()).map(Map.Entry::getValue)
                .findFirst().orElse("GET or POST");
    }

    /**
     * With API_KEY, 'Authorization: Bearer KEY' is required. Without it, every client of this machine
     * passes, as in LLaMA-Factory, but web pages do not: a request a browser sends on behalf of another
     * site (an Origin that is not this server) is refused, and so is, on a loopback-only server, a Host
     * header that is not a loopback name (a site whose name was re-pointed at 127.0.0.1: DNS rebinding).
     */
    private void checkApiKey(Context ctx) {
        if (settings.apiKey() == null) {
            checkSameSite(ctx);
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

    private void checkSameSite(Context ctx) {
        String host = ctx.header("Host");
        if (settings.isLoopbackOnly() && host != null && !LOOPBACK_HOST.matcher(host).matches()) {
            throw ApiError.forbidden("Host '" + host + "' is not this machine's loopback address: connect to 127.0.0.1 or localhost"
                    + " (or set API_KEY to serve other names).");
        }
        String origin = ctx.header("Origin");
        if (origin != null && !(host != null && (origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host)))) {
            throw ApiError.forbidden("Requests from the web page " + origin + " are not accepted without API_KEY: set API_KEY and"
                    + " send it as 'Authorization: Bearer <key>' to call this server from a browser.");
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
        if (error.status() == 405) {
            ctx.header("Allow", allowedMethod(ctx.path()));
        }
        if (error.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
        }
        ctx.attribute(ANSWERED, true);
        ctx.status(error.status()).contentType("application/json").result(OpenAiJson.error(error));
    }
}
