package io.jtune.serve;

import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.util.JavalinBindException;
import io.jtune.JtuneException;
import io.jtune.infer.ChatEngine;
import io.jtune.serve.openai.GenerationQueue;
import io.jtune.serve.openai.OpenAiRoutes;
import io.jtune.serve.ops.AccessLog;
import io.jtune.serve.ops.HealthEndpoint;
import io.jtune.serve.ops.MetricsEndpoint;
import io.jtune.serve.ops.ServerMetrics;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible HTTP server of {@code jtune api}: Javalin (on Jetty) with the routes of
 * {@link OpenAiRoutes}, plus the operations endpoints GET /health and GET /metrics and a structured
 * access log line per request. Requests run on virtual threads, so the ones waiting for the model cost
 * almost nothing.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    /**
     * How long a connection may stay silent while nothing is being handled on it: an idle keep-alive
     * connection, or a client that stops sending its request. A request the server is working on (waiting
     * in the queue, or generating a non-streaming reply) is not cut by it.
     */
    static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);

    private final Javalin app;
    private final ApiSettings settings;
    private final AtomicBoolean serving;

    private ApiServer(Javalin app, ApiSettings settings, AtomicBoolean serving) {
        this.app = app;
        this.settings = settings;
        this.serving = serving;
    }

    /**
     * Starts serving {@code engine} and returns once the port is open.
     *
     * @throws JtuneException when the address cannot be bound (port in use, unknown host)
     */
    public static ApiServer start(ChatEngine engine, ApiSettings settings) {
        return start(engine, settings, IDLE_TIMEOUT);
    }

    /** {@link #start(ChatEngine, ApiSettings)} with the reward-model endpoint of {@code scoring} (stage rm). */
    public static ApiServer start(ChatEngine engine, ApiSettings settings, ScoreEvaluationRoute scoring) {
        return start(engine, settings, IDLE_TIMEOUT, scoring);
    }

    /** {@link #start(ChatEngine, ApiSettings)} with another idle timeout (tests). */
    static ApiServer start(ChatEngine engine, ApiSettings settings, Duration idleTimeout) {
        return start(engine, settings, idleTimeout, null, ScoreEvaluationRoute.none());
    }

    static ApiServer start(ChatEngine engine, ApiSettings settings, Duration idleTimeout, ScoreEvaluationRoute scoring) {
        return start(engine, settings, idleTimeout, null, scoring);
    }

    /** With the access log's lines sent to {@code accessLines} instead of the logger (tests); null: the logger. */
    static ApiServer start(ChatEngine engine, ApiSettings settings, Duration idleTimeout, Consumer<String> accessLines) {
        return start(engine, settings, idleTimeout, accessLines, ScoreEvaluationRoute.none());
    }

    private static ApiServer start(ChatEngine engine, ApiSettings settings, Duration idleTimeout, Consumer<String> accessLines,
                                   ScoreEvaluationRoute scoring) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(settings, "settings");
        GenerationQueue queue = new GenerationQueue(engine.maxConcurrency(), settings.maxQueue());
        ServerMetrics metrics = new ServerMetrics(queue::waiting, engine::runningGenerations);
        AtomicBoolean serving = new AtomicBoolean(true); // the model is loaded before the server starts
        OpenAiRoutes routes = new OpenAiRoutes(engine, settings, queue, metrics);
        HealthEndpoint health = new HealthEndpoint(serving::get, queue::accepting);
        MetricsEndpoint metricsEndpoint = new MetricsEndpoint(metrics);
        AccessLog accessLog = accessLines == null ? new AccessLog(metrics) : new AccessLog(metrics, accessLines);
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            // Compression would buffer the server-sent events; token streams are small anyway.
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.http.maxRequestSize = settings.maxRequestBytes();
            config.http.prefer405over404 = true; // a known path with the wrong method: 405, not 404
            config.jetty.addConnector((server, httpConfig) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
                connector.setHost(settings.host());
                connector.setPort(settings.port());
                connector.setIdleTimeout(idleTimeout.toMillis());
                return connector;
            });
            config.requestLogger.http(accessLog::log);
            config.routes.get("/health", health::handle);
            config.routes.get("/metrics", metricsEndpoint::handle);
            routes.install(config.routes);
            scoring.install(config.routes);
        });
        try {
            app.start();
        } catch (JavalinBindException e) {
            stopQuietly(app);
            throw new JtuneException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage()
                    + " Set API_PORT (and API_HOST) to a free address.", e);
        } catch (RuntimeException e) {
            stopQuietly(app);
            throw new JtuneException("cannot start the API server on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
        }
        ApiServer server = new ApiServer(app, settings, serving);
        LOG.info("Serving {} as '{}'{} on {}, {} requests decoded together", engine.modelName(), settings.modelName(),
                engine.adapterNames().isEmpty() ? "" : " with adapters " + engine.adapterNames(), server.baseUrl(), engine.maxConcurrency());
        if (!settings.isLoopbackOnly() && settings.apiKey() == null) {
            LOG.warn("API_HOST={} accepts connections from other machines and API_KEY is not set: anyone who can reach this port can use the model.",
                    settings.host());
        }
        return server;
    }

    /** The port actually bound (useful with API_PORT=0). */
    public int port() {
        return app.port();
    }

    /** The base URL OpenAI clients take, e.g. http://127.0.0.1:8000/v1. */
    public String baseUrl() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return "http://" + host + ":" + port() + "/v1";
    }

    /** Stops accepting requests and closes the port; a generation under way is not waited for. */
    public void stop() {
        serving.set(false); // /health answers 503 from now on, so a balancer stops sending requests
        app.stop();
    }

    @Override
    public void close() {
        stop();
    }

    private static void stopQuietly(Javalin app) {
        try {
            app.stop();
        } catch (RuntimeException ignored) {
            // already failing to start: the bind error is the one to report
        }
    }
}
