package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API without API_KEY, against web pages (cross-site requests, DNS rebinding, text/plain bodies),
 * its idle timeout, and the details OpenAI clients rely on: GET /v1/models/{id}, 405,
 * context_length_exceeded and "usage": null on stream chunks.
 */
class ApiServerHardeningTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration IDLE = Duration.ofMillis(700);
    static FakeChatEngine engine;
    static ApiServer server;
    static HttpClient http;

    @BeforeAll
    static void start() {
        engine = new FakeChatEngine(0);
        server = ApiServer.start(engine, ApiSettings.defaults().withPort(0), IDLE);
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        http.close();
        server.stop();
    }

    static final String BODY = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /** Raw HTTP/1.1, so that Host and Origin are exactly what a browser on another site would send. */
    static String raw(String method, String path, String headers, String body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\n" + headers + "Content-Length: " + b.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static JsonNode errorOf(String response) throws IOException {
        return JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
    }

    @Test
    void aCrossSitePostIsRefused() throws Exception {
        String host = "Host: 127.0.0.1:" + server.port() + "\r\n";
        String json = "Content-Type: application/json\r\n";
        String evil = raw("POST", "/v1/chat/completions", host + json + "Origin: http://evil.example\r\n", BODY);
        assertTrue(evil.startsWith("HTTP/1.1 403"), evil);
        assertEquals("forbidden", errorOf(evil).get("code").asText());
        assertTrue(raw("GET", "/v1/models", host + "Origin: http://evil.example\r\n", null).startsWith("HTTP/1.1 403"));
        String same = raw("POST", "/v1/chat/completions", host + json + "Origin: http://127.0.0.1:" + server.port() + "\r\n", BODY);
        assertTrue(same.startsWith("HTTP/1.1 200"), same);
        assertTrue(raw("POST", "/v1/chat/completions", host + json, BODY).startsWith("HTTP/1.1 200"), "clients without Origin pass");
    }

    @Test
    void aRebindedHostNameIsRefused() throws Exception {
        String r = raw("GET", "/v1/models", "Host: evil.example:" + server.port() + "\r\n", null);
        assertTrue(r.startsWith("HTTP/1.1 403"), r);
        assertTrue(errorOf(r).get("message").asText().contains("evil.example"), r);
        for (String ok : List.of("localhost", "127.0.0.1", "LOCALHOST")) {
            String fine = raw("GET", "/v1/models", "Host: " + ok + ":" + server.port() + "\r\n", null);
            assertTrue(fine.startsWith("HTTP/1.1 200"), ok + ": " + fine);
        }
    }

    @Test
    void onlyJsonBodiesAreRead() throws Exception {
        int before = engine.requests.size();
        String host = "Host: 127.0.0.1:" + server.port() + "\r\n";
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            String r = raw("POST", "/v1/chat/completions", host + "Content-Type: " + type + "\r\n", BODY);
            assertTrue(r.startsWith("HTTP/1.1 415"), type + ": " + r);
            JsonNode error = errorOf(r);
            assertEquals("unsupported_media_type", error.get("code").asText());
            assertEquals("invalid_request_error", error.get("type").asText());
            assertTrue(error.has("param"));
        }
        assertTrue(raw("POST", "/v1/chat/completions", host, BODY).startsWith("HTTP/1.1 415"), "no Content-Type at all");
        assertEquals(before, engine.requests.size(), "nothing reached the model");
        assertTrue(raw("POST", "/v1/chat/completions", host + "Content-Type: Application/JSON; charset=utf-8\r\n", BODY)
                .startsWith("HTTP/1.1 200"));
    }

    @Test
    void anIdleConnectionIsClosedButASlowReplyIsNot() throws Exception {
        assertTrue(ApiServer.IDLE_TIMEOUT.compareTo(Duration.ofMinutes(5)) <= 0, "a few minutes at most");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "the server closes a silent connection");
            assertTrue(System.nanoTime() - t0 < 8_000_000_000L);
        }
        // A non-streaming reply is silent until done: generating longer than the idle timeout must not cut it.
        FakeChatEngine slow = new FakeChatEngine(150_000); // 150 ms a token, about 2 s in all
        try (ApiServer s = ApiServer.start(slow, ApiSettings.defaults().withPort(0), IDLE)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(FakeChatEngine.reply("hi"), JSON.readTree(r.body()).at("/choices/0/message/content").asText());
        }
    }

    @Test
    void aModelIsRetrievedById() throws Exception {
        HttpResponse<String> r = get("/models/" + ApiSettings.DEFAULT_MODEL_NAME);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode model = JSON.readTree(r.body());
        assertEquals(ApiSettings.DEFAULT_MODEL_NAME, model.get("id").asText());
        assertEquals("model", model.get("object").asText());
        assertEquals(JSON.readTree(get("/models").body()).at("/data/0"), model, "the same object /v1/models lists");
        HttpResponse<String> missing = get("/models/gpt-4o");
        assertEquals(404, missing.statusCode());
        assertEquals("model_not_found", JSON.readTree(missing.body()).at("/error/code").asText());
    }

    @Test
    void aWrongMethodOnAKnownPathIs405() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode(), r.body());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("method_not_allowed", error.get("code").asText());
        assertEquals(4, error.size());
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, models.statusCode(), models.body());
        assertEquals("GET", models.headers().firstValue("Allow").orElse(""));
        assertEquals(404, get("/nothing-here").statusCode(), "an unknown path stays 404");
    }

    @Test
    void aTooLongPromptIsContextLengthExceeded() throws Exception {
        HttpResponse<String> r = post("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + FakeChatEngine.TOO_LONG + "\"}]}");
        assertEquals(400, r.statusCode());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("context_length_exceeded", error.get("code").asText());
        assertEquals("messages", error.get("param").asText());
        HttpResponse<String> streamed = post("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + FakeChatEngine.TOO_LONG + "\"}]}");
        assertTrue(streamed.body().contains("\"code\":\"context_length_exceeded\""), streamed.body());
    }

    @Test
    void withIncludeUsageEveryChunkBeforeTheUsageChunkHasUsageNull() throws Exception {
        HttpResponse<String> r = post("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
        List<String> events = Arrays.stream(r.body().split("\n\n")).filter(e -> e.startsWith("data: {")).toList();
        JsonNode last = JSON.readTree(events.getLast().substring(6));
        assertTrue(last.get("usage").isObject(), last.toString());
        assertEquals(0, last.get("choices").size());
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = JSON.readTree(e.substring(6));
            assertTrue(chunk.has("usage") && chunk.get("usage").isNull(), chunk.toString());
        }
        HttpResponse<String> without = post("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
        assertTrue(!without.body().contains("\"usage\""), "without include_usage no chunk has usage: " + without.body());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
