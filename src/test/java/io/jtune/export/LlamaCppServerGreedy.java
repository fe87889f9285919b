package io.jtune.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Greedy decoding in a llama.cpp build (its {@code llama-server}, as cmake leaves it in
 * {@code build/bin}): the server is started on a free loopback port with the base GGUF (and the
 * GGUF adapter through {@code --lora}), asked once on {@code /completion} for the greedy tokens
 * after a prompt given as token ids (temperature 0, top-k 1, no cache, {@code return_tokens}),
 * and stopped. Bounded: 120 s to load, 120 s for the answer.
 */
final class LlamaCppServerGreedy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaCppServerGreedy() {}

    /** llama-server in dir, dir/bin or dir/build/bin; null if none. */
    static Path server(Path dir) {
        for (Path p : List.of(dir.resolve("llama-server"), dir.resolve("bin/llama-server"), dir.resolve("build/bin/llama-server"))) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** The greedily chosen token ids (at most n; fewer only where llama.cpp met an end-of-generation token). */
    static List<Integer> greedy(Path server, Path base, Path adapter, int[] prompt, int n, Path log)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(server.toString(), "-m", base.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "-c", "128", "-np", "1", "-t", "2", "--no-webui"));
        if (adapter != null) cmd.addAll(List.of("--lora", adapter.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI root = URI.create("http://127.0.0.1:" + port);
            waitUntilReady(http, root, p, log);
            String body = JSON.writeValueAsString(Map.of("prompt", prompt, "n_predict", n, "temperature", 0,
                    "top_k", 1, "cache_prompt", false, "return_tokens", true));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(root.resolve("/completion")).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 && r.body().contains("Failed to parse input")) {
                // seen with the llama-server of June 2026: its chat-message parser rejects the tiny
                // random model's output bytes (not valid UTF-8), so no tokens come back at all
                throw new IOException("this llama-server parses every completion as a chat message and refused the random model's"
                        + " output (not valid UTF-8); use a llama.cpp build whose server does not (February 2025's does) or"
                        + " LLAMA_CPP_NODE: " + r.body());
            }
            if (r.statusCode() != 200) throw new IOException("llama-server /completion answered " + r.statusCode() + ": " + r.body());
            JsonNode tokens = JSON.readTree(r.body()).path("tokens");
            if (!tokens.isArray()) throw new IOException("llama-server's answer has no \"tokens\" array: " + r.body());
            List<Integer> out = new ArrayList<>();
            for (JsonNode t : tokens) out.add(t.asInt());
            return out;
        } finally {
            p.destroy();
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    private static void waitUntilReady(HttpClient http, URI root, Process p, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IOException("llama-server exited (" + p.exitValue() + "): " + tail(log));
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(root.resolve("/health")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IOException("llama-server was not ready within 120 s: " + tail(log));
    }

    private static String tail(Path log) throws IOException {
        String s = Files.readString(log);
        return s.substring(Math.max(0, s.length() - 2000));
    }
}
