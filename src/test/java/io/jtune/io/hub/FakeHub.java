package io.jtune.io.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hub on loopback that answers like huggingface.co for the calls jtune makes: the revision API
 * with blobs=true, resolve URLs (large files through a redirect to another host name), range
 * requests, 401 for gated repositories, 404 for unknown ones, and transfers cut off on purpose.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record Repo(Map<String, byte[]> files, boolean gated) {}

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    /** Requests seen, as "METHOD path [Range] [auth]" lines. */
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    /** How many more transfers of a path end after half the body. */
    final Map<String, AtomicInteger> cutOffs = new ConcurrentHashMap<>();
    /** Paths whose bytes are served corrupted (sha256 will not match). */
    final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    final String token = "hf_secret";
    private final HttpServer server;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void addRepo(String id, boolean gated, Map<String, byte[]> files) {
        repos.put(id, new Repo(new LinkedHashMap<>(files), gated));
    }

    static boolean isLfs(String path) {
        return path.endsWith(".safetensors") || path.endsWith(".bin");
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitBlobId(byte[] b) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha1.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    long count(String prefix) {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith(prefix)).count();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String range = ex.getRequestHeaders().getFirst("Range");
        String host = ex.getRequestHeaders().getFirst("Host");
        log.add("GET " + path + (range != null ? " range=" + range : "") + (auth != null ? " auth" : "") + " host=" + host);
        try (ex) {
            if (path.startsWith("/api/models/")) {
                listing(ex, path.substring("/api/models/".length()), auth);
            } else if (path.startsWith("/cdn/")) {
                String[] parts = path.substring("/cdn/".length()).split("/", 3); // org/name/file... encoded as repo--file
                serveFile(ex, parts[0] + "/" + parts[1], parts[2], range);
            } else {
                resolve(ex, path.substring(1), auth, range);
            }
        }
    }

    private void listing(HttpExchange ex, String rest, String auth) throws IOException {
        int at = rest.indexOf("/revision/");
        String id = rest.substring(0, at);
        Repo repo = repos.get(id);
        if (repo == null) {
            error(ex, 404, "RepoNotFound", "Repository not found");
            return;
        }
        if (repo.gated() && !("Bearer " + token).equals(auth)) {
            error(ex, 401, "GatedRepo", "Access to model " + id + " is restricted");
            return;
        }
        List<Map<String, Object>> siblings = new ArrayList<>();
        repo.files().forEach((name, bytes) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("rfilename", name);
            s.put("size", bytes.length);
            s.put("blobId", gitBlobId(bytes));
            if (isLfs(name)) s.put("lfs", Map.of("sha256", sha256(bytes), "size", bytes.length, "pointerSize", 134));
            siblings.add(s);
        });
        byte[] body = new ObjectMapper().writeValueAsBytes(Map.of("id", id, "sha", COMMIT, "siblings", siblings));
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private void resolve(HttpExchange ex, String rest, String auth, String range) throws IOException {
        int r = rest.indexOf("/resolve/");
        if (r < 0) {
            error(ex, 404, "EntryNotFound", "no such path");
            return;
        }
        String id = rest.substring(0, r);
        String file = rest.substring(r + "/resolve/".length() + COMMIT.length() + 1);
        Repo repo = repos.get(id);
        if (repo == null || !repo.files().containsKey(file)) {
            error(ex, 404, "EntryNotFound", "Entry not found");
            return;
        }
        if (repo.gated() && !("Bearer " + token).equals(auth)) {
            error(ex, 401, "GatedRepo", "gated");
            return;
        }
        if (isLfs(file)) {
            // Large files live on a storage host: a different host name, so the token must not follow.
            ex.getResponseHeaders().add("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn/" + id + "/" + file);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        serveFile(ex, id, file, range);
    }

    private void serveFile(HttpExchange ex, String id, String file, String range) throws IOException {
        byte[] bytes = repos.get(id).files().get(file).clone();
        if (corrupt.getOrDefault(file, false)) bytes[bytes.length / 2] ^= 0x55;
        int start = 0;
        if (range != null && range.startsWith("bytes=")) {
            start = Integer.parseInt(range.substring(6, range.indexOf('-')));
            ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        int len = bytes.length - start;
        ex.sendResponseHeaders(start > 0 ? 206 : 200, len);
        OutputStream out = ex.getResponseBody();
        AtomicInteger cuts = cutOffs.get(file);
        if (cuts != null && cuts.getAndDecrement() > 0) {
            out.write(bytes, start, len / 2);
            out.flush();
            // Ending the exchange with bytes missing makes the client see a truncated body.
            throw new IOException("cut off on purpose");
        }
        out.write(bytes, start, len);
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ex.getResponseHeaders().add("X-Error-Code", code);
        ex.getResponseHeaders().add("X-Error-Message", message);
        byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
