package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import io.jtune.infer.ChatModel;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.TinyAdapters;
import io.jtune.infer.TinyChatModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One `jtune api` serving two adapters over one base (lora_modules), driven by the official OpenAI
 * client on loopback: the model list, choosing by the model field, replies equal to servers started
 * with each adapter alone (greedy), also under concurrent requests, and vLLM's load/unload endpoints.
 */
class MultiAdapterApiTest {
    static final String KEY = "sk-adapters";
    static final List<String> QUESTIONS = List.of("hello world", "你好", "the model says");
    @TempDir static Path tmp;
    static Path modelDir, presales, aftersales, extra;
    static final List<AutoCloseable> opened = new ArrayList<>();
    static ApiServer server;
    static OpenAIClient client;
    /** Replies of servers started with one adapter (or none) alone: model name -> question -> reply. */
    static final Map<String, Map<String, String>> expected = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        modelDir = TinyChatModels.write(tmp);
        presales = TinyAdapters.write(modelDir, tmp.resolve("presales"), 1);
        aftersales = TinyAdapters.write(modelDir, tmp.resolve("aftersales"), 2);
        // POST /v1/load_lora_adapter may load only from the working directory and API_LORA_ROOTS: here tmp/served
        extra = TinyAdapters.write(modelDir, java.nio.file.Files.createDirectories(tmp.resolve("served")).resolve("extra"), 3);
        for (Map.Entry<String, String> alone : Map.of("base", "", "presales", "adapter_name_or_path=" + presales,
                "aftersales", "adapter_name_or_path=" + aftersales, "extra", "adapter_name_or_path=" + extra).entrySet()) {
            String[] overrides = alone.getValue().isEmpty() ? new String[0] : new String[] {alone.getValue()};
            try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir, overrides)));
                 ApiServer single = ApiServer.start(engine, ApiSettings.defaults().withPort(0))) {
                OpenAIClient c = client(single, "none");
                Map<String, String> replies = new LinkedHashMap<>();
                for (String q : QUESTIONS) replies.put(q, ask(c, "anything", q));
                expected.put(alone.getKey(), replies);
                c.close();
            }
        }
        LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir,
                "lora_modules=presales=" + presales + ",aftersales=" + aftersales)));
        opened.add(engine);
        server = ApiServer.start(engine, ApiSettings.defaults().withPort(0).withApiKey(KEY).withLoraRoots(List.of(tmp.resolve("served"))));
        opened.addFirst(server);
        client = client(server, KEY);
        opened.addFirst(client::close);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : opened) c.close();
    }

    static OpenAIClient client(ApiServer s, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(s.baseUrl()).apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    static String ask(OpenAIClient c, String model, String question) {
        return c.chat().completions().create(ChatCompletionCreateParams.builder().model(model).addUserMessage(question).build())
                .choices().getFirst().message().content().orElseThrow();
    }

    @Test
    void listsTheBaseAndEveryAdapter() {
        List<Model> models = client.models().list().data();
        assertEquals(List.of("gpt-3.5-turbo", "presales", "aftersales"), models.stream().map(Model::id).toList());
        assertEquals("presales", client.models().retrieve("presales").id());
        assertEquals("gpt-3.5-turbo", client.models().retrieve("gpt-3.5-turbo").id());
        assertEquals("gpt-3.5-turbo", models.get(1)._additionalProperties().get("parent").asString().orElseThrow());
        assertThrows(NotFoundException.class, () -> client.models().retrieve("nobody"));
    }

    @Test
    void theModelFieldPicksTheAdapterOrTheBase() {
        for (String q : QUESTIONS) {
            assertEquals(expected.get("presales").get(q), ask(client, "presales", q), q);
            assertEquals(expected.get("aftersales").get(q), ask(client, "aftersales", q), q);
            assertEquals(expected.get("base").get(q), ask(client, "gpt-3.5-turbo", q), q);
        }
        assertNotEquals(expected.get("presales"), expected.get("aftersales"), "the adapters must change the replies for the test to mean anything");
        assertNotEquals(expected.get("presales"), expected.get("base"));
    }

    @Test
    void anUnknownModelIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> ask(client, "gpt-4o", "hello"));
        assertEquals("model_not_found", e.code().orElseThrow());
        assertTrue(e.getMessage().contains("'presales'"), e.getMessage());
    }

    @Test
    void concurrentRequestsForDifferentAdaptersGetEachAdaptersReplies() throws Exception {
        List<String> models = List.of("presales", "aftersales", "gpt-3.5-turbo");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<String>> replies = new ArrayList<>();
            List<String[]> asked = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (String model : models) {
                    for (String q : QUESTIONS) {
                        asked.add(new String[] {model, q});
                        replies.add(pool.submit(() -> ask(client, model, q)));
                    }
                }
            }
            for (int i = 0; i < replies.size(); i++) {
                String model = asked.get(i)[0].equals("gpt-3.5-turbo") ? "base" : asked.get(i)[0];
                assertEquals(expected.get(model).get(asked.get(i)[1]), replies.get(i).get(60, TimeUnit.SECONDS), asked.get(i)[0] + ": " + asked.get(i)[1]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void loadsAndUnloadsAnAdapterAtRunTime() throws Exception {
        HttpResponse<String> loaded = post(server, "/v1/load_lora_adapter", "{\"lora_name\": \"extra\", \"lora_path\": " + json(extra) + "}", KEY);
        assertEquals(200, loaded.statusCode(), loaded.body());
        assertEquals("Success: LoRA adapter 'extra' added successfully.", loaded.body());
        assertTrue(client.models().list().data().stream().anyMatch(m -> m.id().equals("extra")));
        assertEquals(expected.get("extra").get("hello world"), ask(client, "extra", "hello world"));

        HttpResponse<String> again = post(server, "/v1/load_lora_adapter", "{\"lora_name\": \"extra\", \"lora_path\": " + json(extra) + "}", KEY);
        assertEquals(400, again.statusCode(), again.body());
        assertTrue(again.body().contains("already been loaded"), again.body());

        HttpResponse<String> removed = post(server, "/v1/unload_lora_adapter", "{\"lora_name\": \"extra\"}", KEY);
        assertEquals(200, removed.statusCode(), removed.body());
        assertEquals("Success: LoRA adapter 'extra' removed successfully.", removed.body());
        assertThrows(NotFoundException.class, () -> ask(client, "extra", "hello world"));
        HttpResponse<String> gone = post(server, "/v1/unload_lora_adapter", "{\"lora_name\": \"extra\"}", KEY);
        assertEquals(404, gone.statusCode(), gone.body());
    }

    @Test
    void aBadAdapterGetsA400AndChangesNothing() throws Exception {
        Path broken = java.nio.file.Files.createDirectories(tmp.resolve("served/broken"));
        java.nio.file.Files.copy(presales.resolve("adapter_config.json"), broken.resolve("adapter_config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.writeString(broken.resolve("adapter_model.safetensors"), "garbage");
        for (String body : List.of("{\"lora_name\": \"broken\", \"lora_path\": " + json(broken) + "}",
                "{\"lora_name\": \"missing\", \"lora_path\": " + json(tmp.resolve("served/missing")) + "}",
                "{\"lora_name\": \"nopath\"}",
                "{\"lora_name\": \"gpt-3.5-turbo\", \"lora_path\": " + json(extra) + "}")) {
            HttpResponse<String> r = post(server, "/v1/load_lora_adapter", body, KEY);
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("{\"error\":{\"message\":"), r.body());
        }
        assertEquals(List.of("gpt-3.5-turbo", "presales", "aftersales"), client.models().list().data().stream().map(Model::id).toList());
    }

    /** lora_path stays inside the working directory and API_LORA_ROOTS: ../, absolute paths and symlinks out are refused. */
    @Test
    void anAdapterOutsideTheAllowedFoldersIsRefused() throws Exception {
        Path link = tmp.resolve("served/link");
        if (!java.nio.file.Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) java.nio.file.Files.createSymbolicLink(link, presales);
        for (Path outside : List.of(presales, tmp.resolve("served/../presales"), link, Path.of("/etc"))) {
            HttpResponse<String> r = post(server, "/v1/load_lora_adapter",
                    "{\"lora_name\": \"outside\", \"lora_path\": " + json(outside) + "}", KEY);
            assertEquals(400, r.statusCode(), outside + ": " + r.body());
            assertTrue(r.body().contains("outside the folders adapters may be loaded from"), r.body());
        }
        assertTrue(client.models().list().data().stream().noneMatch(m -> m.id().equals("outside")));
    }

    @Test
    void adapterEndpointsNeedTheKey() throws Exception {
        assertEquals(401, post(server, "/v1/load_lora_adapter", "{\"lora_name\": \"x\", \"lora_path\": " + json(extra) + "}", null).statusCode());
        assertEquals(401, post(server, "/v1/unload_lora_adapter", "{\"lora_name\": \"presales\"}", "wrong").statusCode());
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir)));
             ApiServer open = ApiServer.start(engine, ApiSettings.defaults().withPort(0))) {
            HttpResponse<String> r = post(open, "/v1/load_lora_adapter", "{\"lora_name\": \"x\", \"lora_path\": " + json(extra) + "}", null);
            assertEquals(403, r.statusCode(), r.body());
            assertTrue(r.body().contains("API_KEY"), r.body());
            assertTrue(engine.adapterNames().isEmpty());
            // A single model answers to any name, as LLaMA-Factory's API does.
            OpenAIClient c = client(open, "none");
            assertEquals(expected.get("base").get("你好"), ask(c, "whatever-name", "你好"));
            c.close();
        }
    }

    @Test
    void metricsTimeEveryTokenOfTheRealEngine() throws Exception {
        PrometheusText before = scrape();
        var reply = client.chat().completions().create(ChatCompletionCreateParams.builder().model("aftersales").addUserMessage("timing").build());
        long completion = reply.usage().orElseThrow().completionTokens();
        PrometheusText after = scrape();
        String ttft = "jtune_time_to_first_token_seconds_count", itl = "jtune_inter_token_latency_seconds_count";
        assertEquals(1, after.value(ttft, "model", "aftersales") - before.value(ttft, "model", "aftersales"));
        double intervals = after.value(itl, "model", "aftersales") - before.value(itl, "model", "aftersales");
        // one interval per generated token after the first; an ending stop id is generated but never shown
        assertTrue(intervals == completion - 1 || intervals == completion - 2, intervals + " intervals for " + completion + " tokens");
        assertEquals(completion, after.value("jtune_completion_tokens_total", "model", "aftersales")
                - before.value("jtune_completion_tokens_total", "model", "aftersales"));
        assertEquals(0, after.value("jtune_batch_size"));
    }

    static PrometheusText scrape() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return PrometheusText.parse(http.send(HttpRequest.newBuilder(URI.create(server.baseUrl().replace("/v1", "") + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        }
    }

    static String json(Path p) {
        return "\"" + p.toString().replace("\\", "\\\\") + "\"";
    }

    static HttpResponse<String> post(ApiServer s, String path, String body, String key) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(s.baseUrl().replace("/v1", "") + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) request.header("Authorization", "Bearer " + key);
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
