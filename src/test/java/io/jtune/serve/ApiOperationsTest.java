package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** GET /health, GET /metrics (scraped and parsed) and the access log, on loopback with a fake engine serving two adapters. */
class ApiOperationsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Server(ApiServer server, FakeChatEngine engine, List<String> accessLines, OpenAIClient client) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.stop();
        }
    }

    static Server start(ApiSettings settings) {
        FakeChatEngine engine = new FakeChatEngine(0);
        engine.adapters.addAll(List.of("presales", "aftersales"));
        List<String> lines = new CopyOnWriteArrayList<>();
        ApiServer server = ApiServer.start(engine, settings.withPort(0), ApiServer.IDLE_TIMEOUT, lines::add);
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("none").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
        return new Server(server, engine, lines, client);
    }

    static HttpResponse<String> get(ApiServer server, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl().replace("/v1", "") + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    static ChatCompletion ask(OpenAIClient client, String model, String message) {
        return client.chat().completions().create(ChatCompletionCreateParams.builder().model(model).addSystemMessage("Be brief.")
                .addUserMessage(message).build());
    }

    @Test
    void healthIsOkWhileTheQueueTakesWorkAndBusyWhenItIsFull() throws Exception {
        try (Server s = start(ApiSettings.defaults().withLimits(ApiSettings.DEFAULT_MAX_REQUEST_BYTES, 0))) {
            HttpResponse<String> ok = get(s.server(), "/health");
            assertEquals(200, ok.statusCode());
            assertEquals("ok", JSON.readTree(ok.body()).get("status").asText());

            s.engine().gate = new CountDownLatch(1); // hold the model: with API_MAX_QUEUE=0 nothing more is taken
            Thread asker = Thread.ofVirtual().start(() -> ask(s.client(), "presales", "hold"));
            assertTrue(s.engine().started.await(10, TimeUnit.SECONDS));
            HttpResponse<String> busy = get(s.server(), "/health");
            assertEquals(503, busy.statusCode(), busy.body());
            assertEquals("busy", JSON.readTree(busy.body()).get("status").asText());
            s.engine().gate.countDown();
            asker.join(Duration.ofSeconds(10));
            assertEquals(200, get(s.server(), "/health").statusCode());
        }
    }

    @Test
    void metricsCountRequestsTokensAndLatenciesByModel() throws Exception {
        try (Server s = start(ApiSettings.defaults())) {
            ChatCompletion a = ask(s.client(), "presales", "one two three");
            ChatCompletion b = ask(s.client(), "presales", "four");
            ChatCompletion base = ask(s.client(), "gpt-3.5-turbo", "five six");
            try (StreamResponse<ChatCompletionChunk> stream = s.client().chat().completions().createStreaming(
                    ChatCompletionCreateParams.builder().model("aftersales").addUserMessage("streamed words").build())) {
                stream.stream().forEach(c -> {});
            }
            try {
                ask(s.client(), "gpt-4o", "unknown");
            } catch (NotFoundException expected) {
                // counted as a 404 under the model label "unknown"
            }
            HttpResponse<String> scrape = get(s.server(), "/metrics");
            assertEquals(200, scrape.statusCode());
            assertTrue(scrape.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
            PrometheusText m = PrometheusText.parse(scrape.body());

            assertEquals(2, m.value("jtune_requests_total", "model", "presales", "status", "200"));
            assertEquals(1, m.value("jtune_requests_total", "model", "gpt-3.5-turbo", "status", "200"));
            assertEquals(1, m.value("jtune_requests_total", "model", "aftersales", "status", "200"));
            assertEquals(1, m.value("jtune_requests_total", "model", "unknown", "status", "404"));
            assertEquals("counter", m.types.get("jtune_requests_total"));
            long presalesPrompt = a.usage().orElseThrow().promptTokens() + b.usage().orElseThrow().promptTokens();
            long presalesCompletion = a.usage().orElseThrow().completionTokens() + b.usage().orElseThrow().completionTokens();
            assertEquals(presalesPrompt, m.value("jtune_prompt_tokens_total", "model", "presales"));
            assertEquals(presalesCompletion, m.value("jtune_completion_tokens_total", "model", "presales"));
            assertEquals(base.usage().orElseThrow().completionTokens(), m.value("jtune_completion_tokens_total", "model", "gpt-3.5-turbo"));

            assertEquals("histogram", m.types.get("jtune_time_to_first_token_seconds"));
            assertEquals(2, m.value("jtune_time_to_first_token_seconds_count", "model", "presales"));
            assertEquals(2, m.value("jtune_time_to_first_token_seconds_bucket", "model", "presales", "le", "+Inf"));
            assertTrue(m.value("jtune_time_to_first_token_seconds_sum", "model", "presales") > 0);
            // every text piece after the first is one inter-token interval (the fake sends one token a piece)
            assertEquals(presalesCompletion - 2, m.value("jtune_inter_token_latency_seconds_count", "model", "presales"));
            assertEquals(0, m.value("jtune_queue_depth"));
            assertEquals(0, m.value("jtune_batch_size"));
            assertTrue(m.value("process_resident_memory_bytes") > 1e6, "process memory is reported");
            assertTrue(m.value("jvm_memory_used_bytes", "area", "heap") > 0);
        }
    }

    @Test
    void accessLogHasOneStructuredLinePerRequestWithoutThePrompt() throws Exception {
        try (Server s = start(ApiSettings.defaults())) {
            ChatCompletion reply = ask(s.client(), "aftersales", "secret customer question");
            s.client().models().list();
            get(s.server(), "/health");
            get(s.server(), "/metrics");
            List<String> lines = awaitLines(s, 2);
            assertEquals(2, lines.size(), lines.toString());
            JsonNode chat = JSON.readTree(lines.get(0));
            assertEquals("POST", chat.get("method").asText());
            assertEquals("/v1/chat/completions", chat.get("path").asText());
            assertEquals(200, chat.get("status").asInt());
            assertEquals("aftersales", chat.get("model").asText());
            assertEquals(reply.id(), chat.get("id").asText());
            assertEquals(reply.usage().orElseThrow().promptTokens(), chat.get("prompt_tokens").asLong());
            assertEquals(reply.usage().orElseThrow().completionTokens(), chat.get("completion_tokens").asLong());
            assertEquals("stop", chat.get("finish_reason").asText());
            assertTrue(chat.get("latency_ms").asDouble() >= 0 && chat.get("ttft_ms").asDouble() >= 0);
            assertNotNull(chat.get("time"));
            for (String line : lines) assertFalse(line.contains("secret") || line.contains("Be brief"), line);
            JsonNode models = JSON.readTree(lines.get(1));
            assertEquals("/v1/models", models.get("path").asText());
            assertEquals(200, models.get("status").asInt());
        }
    }

    @Test
    void accessLogCarriesThePromptOnlyWhenAskedTo() throws Exception {
        try (Server s = start(ApiSettings.defaults().withLogPrompts(true))) {
            ask(s.client(), "presales", "secret customer question");
            JsonNode line = JSON.readTree(awaitLines(s, 1).getFirst());
            assertEquals("system", line.get("messages").get(0).get("role").asText());
            assertEquals("Be brief.", line.get("messages").get(0).get("content").asText());
            assertEquals("secret customer question", line.get("messages").get(1).get("content").asText());
        }
    }

    /** Javalin logs a request just after its response is sent: wait (bounded) for the lines to arrive. */
    static List<String> awaitLines(Server s, int count) throws InterruptedException {
        for (int i = 0; i < 200 && s.accessLines().size() < count; i++) Thread.sleep(10);
        return List.copyOf(s.accessLines());
    }
}
