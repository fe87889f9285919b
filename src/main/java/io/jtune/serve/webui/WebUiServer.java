package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.util.JavalinBindException;
import io.jtune.JtuneException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of {@code jtune webui}: serves the page (plain HTML, CSS and JavaScript from the
 * jar) and a small JSON API the page calls. Every value that arrives here is checked here, not
 * in the browser: forms by {@link ConfigForm}, paths by {@link PathGuard}. Nothing a user types
 * ever reaches a shell: training and chat run in this process.
 */
public final class WebUiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebUiServer.class);
    private static final String STATIC = "/io/jtune/serve/webui/static/";
    private static final Pattern STATIC_NAME = Pattern.compile("[a-z0-9_-]+\\.(js|css|html|svg|json)");
    static final String TOKEN_HEADER = "X-Jtune-Token";
    private static final Pattern LOOPBACK_HOST = Pattern.compile("(localhost|127(\\.\\d{1,3}){3}|\\[::1])(:\\d+)?");

    private final Javalin app;
    private final WebUiSettings settings;
    private final WebUiApi api;
    private final String token;

    private WebUiServer(Javalin app, WebUiSettings settings, WebUiApi api, String token) {
        this.app = app;
        this.settings = settings;
        this.api = api;
        this.token = token;
    }

    /**
     * Starts serving; returns once the port is open. Without a token in the settings (--token,
     * JTUNE_WEBUI_TOKEN) a random one is made for this start: {@link #url} carries it, as Jupyter's does.
     */
    public static WebUiServer start(WebUiSettings settings) {
        String token = settings.token() != null ? settings.token() : randomToken();
        PathGuard paths = new PathGuard(settings.workDir(), settings.roots());
        WebUiApi api = new WebUiApi(paths);
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.compressionStrategy = CompressionStrategy.NONE; // would hold back the streamed replies
            config.http.maxRequestSize = 4L << 20;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.routes.before("/api/*", ctx -> checkRequest(ctx, settings, token));
            config.routes.get("/", ctx -> {
                rememberToken(ctx, token);
                serveStatic(ctx, "index.html");
            });
            config.routes.get("/static/{name}", ctx -> serveStatic(ctx, ctx.pathParam("name")));
            api.install(config.routes);
            config.routes.exception(FieldErrors.class, (e, ctx) -> {
                ObjectNode body = Json.MAPPER.createObjectNode();
                body.set("errors", Json.MAPPER.valueToTree(e.byField()));
                ctx.status(400).json(body);
            });
            config.routes.exception(JtuneException.class, (e, ctx) -> ctx.status(400).json(Map.of("error", e.getMessage())));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                ctx.status(500).json(Map.of("error", "internal error: " + e));
            });
        });
        try {
            app.start();
        } catch (JavalinBindException e) {
            app.stop();
            throw new JtuneException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage()
                    + " Use --port to pick another port.", e);
        }
        if (!settings.isLoopbackOnly()) {
            LOG.warn("jtune webui listens on {} and accepts connections from other machines; every API call needs the token.", settings.host());
        }
        return new WebUiServer(app, settings, api, token);
    }

    /** 32 random bytes as 64 hex digits. */
    private static String randomToken() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    /** The cookie that carries the token after the first visit; named by port, since a cookie is shared by all ports of a host. */
    private static String cookieName(Context ctx) {
        return "jtune_token_" + ctx.req().getLocalPort();
    }

    /**
     * A visit to the page with the right ?token= leaves the token in a cookie (HttpOnly, SameSite=Strict),
     * so the page keeps working after a reload without the query; other sites' requests never carry it.
     */
    private static void rememberToken(Context ctx, String token) {
        String given = ctx.queryParam("token");
        if (given != null && matches(given, token) && token.matches("[A-Za-z0-9._~+/=-]+")) { // a cookie value needs no quoting
            ctx.header("Set-Cookie", cookieName(ctx) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
        }
    }

    private static boolean matches(String given, String token) {
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The token, always (as the X-Jtune-Token header or the cookie the page's first visit set): other
     * users of this machine cannot drive the web UI. And, against other web sites the browser has open,
     * a POST whose Origin is not this server is refused (a page elsewhere cannot start a training here),
     * as is, on a loopback-only server, a Host header that is not a loopback name.
     */
    private static void checkRequest(Context ctx, WebUiSettings settings, String token) {
        if (!matches(ctx.header(TOKEN_HEADER), token) && !matches(ctx.cookie(cookieName(ctx)), token)) {
            throw new io.javalin.http.UnauthorizedResponse("missing or wrong token: open the URL `jtune webui` printed"
                    + " (it ends in ?token=...), or the page with ?token=<the --token value>");
        }
        String host = ctx.header("Host");
        if (settings.isLoopbackOnly() && host != null && !LOOPBACK_HOST.matcher(host).matches()) {
            // DNS rebinding: a web site whose name now points at 127.0.0.1 would send its own name here
            throw new io.javalin.http.ForbiddenResponse("Host '" + host + "' is not this machine's loopback address");
        }
        String origin = ctx.header("Origin");
        if (origin != null && host != null && !ctx.method().name().equals("GET")
                && !(origin.equals("http://" + host) || origin.equals("https://" + host))) {
            throw new io.javalin.http.ForbiddenResponse("requests from " + origin + " are not accepted");
        }
    }

    private static void serveStatic(Context ctx, String name) throws IOException {
        if (!STATIC_NAME.matcher(name).matches()) {
            ctx.status(404).result("not found");
            return;
        }
        try (InputStream in = WebUiServer.class.getResourceAsStream(STATIC + name)) {
            if (in == null) {
                ctx.status(404).result("not found");
                return;
            }
            String type = switch (name.substring(name.lastIndexOf('.') + 1)) {
                case "js" -> "text/javascript; charset=utf-8";
                case "css" -> "text/css; charset=utf-8";
                case "svg" -> "image/svg+xml";
                case "json" -> "application/json; charset=utf-8";
                default -> "text/html; charset=utf-8";
            };
            ctx.contentType(type).header("Cache-Control", "no-cache").result(in.readAllBytes());
        }
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** The address to open in a browser, with the token. */
    public String url() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return "http://" + host + ":" + port() + "/?token=" + java.net.URLEncoder.encode(token, StandardCharsets.UTF_8);
    }

    /** The token every API call needs: the one given, or the one made for this start. */
    public String token() {
        return token;
    }

    /** The web UI's state (the current job, the chat model), for tests. */
    WebUiApi api() {
        return api;
    }

    @Override
    public void close() {
        app.stop();
        api.close();
    }

    static JsonNode body(Context ctx) {
        try {
            JsonNode n = Json.MAPPER.readTree(ctx.body());
            if (n == null || !n.isObject()) throw new JtuneException("the request body must be a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new JtuneException("the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
