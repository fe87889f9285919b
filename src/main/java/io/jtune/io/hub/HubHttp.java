package io.jtune.io.hub;

import io.jtune.JtuneException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP side of the hub client: GET requests that follow redirects themselves (so the token is
 * sent only to the hub's own host, never to the storage host a large file redirects to), and that
 * turn the hub's error statuses into messages a user can act on.
 */
final class HubHttp {
    static final int MAX_REDIRECTS = 10;

    private final HttpClient client;
    private final URI endpoint;
    private final String token;
    private final Duration timeout;

    HubHttp(URI endpoint, String token, Duration timeout) {
        this.endpoint = endpoint;
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout)
                .build();
    }

    URI endpoint() {
        return endpoint;
    }

    /**
     * GETs {@code uri}, following redirects. {@code rangeStart > 0} asks for the bytes from there on.
     * The caller closes the returned body. {@code what} names the repository and file for messages.
     */
    HttpResponse<InputStream> get(URI uri, long rangeStart, String what) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = HttpRequest.newBuilder(current).timeout(timeout).GET()
                    .header("User-Agent", "jtune/" + io.jtune.JtuneVersion.get());
            if (token != null && sameOrigin(current, endpoint)) req.header("Authorization", "Bearer " + token);
            if (rangeStart > 0) req.header("Range", "bytes=" + rangeStart + "-");
            HttpResponse<InputStream> resp;
            try {
                resp = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching " + what, e);
            } catch (IOException e) {
                throw new IOException(networkError(e, current), e);
            }
            int status = resp.statusCode();
            if (status >= 300 && status < 400) {
                Optional<String> location = resp.headers().firstValue("Location");
                resp.body().close();
                if (location.isEmpty()) throw new JtuneException(what + ": the hub answered " + status + " without a Location header");
                current = current.resolve(location.get());
                continue;
            }
            if (status == 200 || status == 206) return resp;
            String detail = resp.headers().firstValue("X-Error-Message").orElse("");
            resp.body().close();
            throw statusError(status, what, detail);
        }
        throw new JtuneException(what + ": more than " + MAX_REDIRECTS + " redirects from " + uri);
    }

    /**
     * What went wrong on the way to {@code uri}, in words: Java's HTTP client throws a ConnectException
     * without a message when nothing listens, and its timeouts name no host.
     */
    static String networkError(IOException e, URI uri) {
        String host = uri.getHost() + (uri.getPort() != -1 ? ":" + uri.getPort() : "");
        String hint = "; check the network (or set HF_ENDPOINT to a reachable mirror; HF_HUB_OFFLINE=1 uses only models"
                + " already downloaded)";
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.UnknownHostException || c instanceof java.nio.channels.UnresolvedAddressException) {
                return "cannot resolve the host " + uri.getHost() + hint;
            }
        }
        if (e instanceof java.net.http.HttpConnectTimeoutException || e instanceof java.net.http.HttpTimeoutException) {
            return "no answer from " + host + " in time" + hint;
        }
        if (e instanceof java.net.ConnectException) return "cannot connect to " + host + " (connection refused)" + hint;
        return "the connection to " + host + " failed (" + describe(e) + ")" + hint;
    }

    /** An exception's message, or its kind where it has none. */
    static String describe(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) return c.getMessage();
        }
        return e.getClass().getSimpleName();
    }

    private JtuneException statusError(int status, String what, String detail) {
        String suffix = detail.isBlank() ? "" : " (" + detail + ")";
        return switch (status) {
            case 401, 403 -> new JtuneException(what + ": access denied (HTTP " + status + ")" + suffix + ". The repository is"
                    + " gated or private: accept its terms on the hub, then set HF_TOKEN to an access token of yours"
                    + (token == null ? " (HF_TOKEN is not set)." : " (the HF_TOKEN given was refused)."));
            case 404 -> new JtuneException(what + ": not found on " + endpoint + " (HTTP 404)" + suffix
                    + ". Check the repository id and the revision.");
            case 416 -> new JtuneException(what + ": the server refused to resume the download (HTTP 416)");
            default -> new JtuneException(what + ": the hub answered HTTP " + status + suffix);
        };
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI u) {
        if (u.getPort() != -1) return u.getPort();
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
}
