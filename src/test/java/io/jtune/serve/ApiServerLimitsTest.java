package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.infer.ChatResult;
import io.jtune.infer.FinishReason;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Size limit, queue limit and client disconnects, each on its own small server. */
class ApiServerLimitsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int LIMIT = 4096;
    ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    ApiServer start(FakeChatEngine engine, int maxQueue) {
        server = ApiServer.start(engine, ApiSettings.defaults().withPort(0).withLimits(LIMIT, maxQueue));
        return server;
    }

    static String chatBody(String userMessage, boolean stream) {
        return "{\"model\":\"m\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + userMessage + "\"}]}";
    }

    /** Sends raw request bytes and returns the status line and headers+body read until the server closes or 5 s pass. */
    static String exchangeRaw(int port, String head, byte[] bodyPart) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(bodyPart);
            out.flush(); // the rest of the declared body is never sent: the answer must come without it
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder response = new StringBuilder();
            for (String line; (line = in.readLine()) != null; ) {
                response.append(line).append('\n');
                if (line.startsWith("{\"error\"")) {
                    break;
                }
            }
            return response.toString();
        }
    }

    @Test
    void refusesADeclaredBodyOverTheLimitBeforeReadingIt() throws IOException {
        FakeChatEngine engine = new FakeChatEngine(0);
        start(engine, 4);
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + 50_000_000 + "\r\n\r\n";
        String response = exchangeRaw(server.port(), head, "{\"model\":".getBytes(StandardCharsets.US_ASCII));
        assertTrue(response.startsWith("HTTP/1.1 413"), response);
        assertTrue(response.contains("\"code\":\"request_too_large\""), response);
        assertTrue(response.contains("limit of 4096 bytes"), response);
        assertEquals(0, engine.requests.size());
    }

    @Test
    void refusesAChunkedBodyOnceItPassesTheLimit() throws IOException {
        FakeChatEngine engine = new FakeChatEngine(0);
        start(engine, 4);
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        StringBuilder chunks = new StringBuilder();
        for (int i = 0; i < 5; i++) { // 5 KiB sent, more announced by never sending the final 0-chunk
            chunks.append("400\r\n").append("a".repeat(1024)).append("\r\n");
        }
        String response = exchangeRaw(server.port(), head, chunks.toString().getBytes(StandardCharsets.US_ASCII));
        assertTrue(response.startsWith("HTTP/1.1 413"), response);
        assertEquals(0, engine.requests.size());
    }

    @Test
    void answers503WhenTheQueueIsFullAndServesTheOthersInOrder() throws Exception {
        FakeChatEngine engine = new FakeChatEngine(0);
        engine.gate = new CountDownLatch(1);
        start(engine, 1);
        try (HttpClient http = HttpClient.newHttpClient()) {
            CompletableFuture<HttpResponse<String>> first = http.sendAsync(request(chatBody("first", false)), HttpResponse.BodyHandlers.ofString());
            assertTrue(engine.started.await(10, TimeUnit.SECONDS), "the first request reached the model");
            // One place in the queue for two more requests: exactly one waits, the other is refused at once.
            CompletableFuture<HttpResponse<String>> second = http.sendAsync(request(chatBody("second", false)), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> third = http.sendAsync(request(chatBody("third", false)), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> refused = second.applyToEither(third, r -> r).get(10, TimeUnit.SECONDS);
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            assertEquals("server_busy", JSON.readTree(refused.body()).at("/error/code").asText());
            engine.gate.countDown();
            HttpResponse<String> served = (refused == second.getNow(null) ? third : second).get(10, TimeUnit.SECONDS);
            assertEquals(200, served.statusCode());
            String servedMessage = refused == second.getNow(null) ? "third" : "second";
            assertEquals(FakeChatEngine.reply(servedMessage), JSON.readTree(served.body()).at("/choices/0/message/content").asText());
            assertEquals(FakeChatEngine.reply("first"), JSON.readTree(first.get(10, TimeUnit.SECONDS).body()).at("/choices/0/message/content").asText());
            assertEquals(2, engine.results.size());
        }
    }

    @Test
    void clientThatHangsUpCancelsItsGeneration() throws Exception {
        FakeChatEngine engine = new FakeChatEngine(5_000); // 5 ms a token: the whole reply would take 2 s
        start(engine, 4);
        String longMessage = "w ".repeat(400).strip();
        byte[] body = chatBody(longMessage, true).getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.contains("\"content\":\"said: \"")) {
                    break; // two tokens in: hang up
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (engine.results.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        ChatResult result = engine.results.getFirst();
        assertEquals(FinishReason.CANCELLED, result.finishReason());
        int fullReply = FakeChatEngine.tokens(longMessage).size();
        assertTrue(result.completionTokens() < fullReply / 2, result.completionTokens() + " of " + fullReply + " tokens generated");
        // The model is free again: the next request is served.
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> next = http.send(request(chatBody("next", false)), HttpResponse.BodyHandlers.ofString());
            assertEquals(FakeChatEngine.reply("next"), JSON.readTree(next.body()).at("/choices/0/message/content").asText());
        }
        assertEquals(List.of(FinishReason.CANCELLED, FinishReason.STOP), engine.results.stream().map(ChatResult::finishReason).toList());
    }

    HttpRequest request(String body) {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
