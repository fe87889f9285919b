package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatModel;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.SamplingParams;
import io.jtune.infer.TinyAdapters;
import io.jtune.infer.TinyChatModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Chat tab's served adapters through the web UI's API (issue #16 §6), on a tiny qwen2 model with
 * two random LoRA adapters: the top bar's adapter is served with the model, another is added, each
 * message names the one that answers (or the base), and the base's and the adapters' replies to the
 * same message, asked at once as the page's side-by-side view does, equal those of an engine loaded
 * with that adapter alone (greedy). Also quantization_bit on the Chat form (issue #14).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebUiChatAdaptersTest {
    static final String QUESTION = "hello world";
    @TempDir static Path work;
    static Path model, presales, aftersales;
    static WebUiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        model = TinyChatModels.write(work.resolve("tiny"));
        presales = TinyAdapters.write(model, work.resolve("saves/presales"), 1);
        aftersales = TinyAdapters.write(model, work.resolve("saves/aftersales"), 2);
        server = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, null, work, List.of()));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void eachMessageNamesItsAdapterAndTheBaseAnswersBesideThem() throws Exception {
        Map<String, String> alone = new LinkedHashMap<>();
        alone.put("", reply());
        alone.put("presales", reply("adapter_name_or_path=" + presales));
        alone.put("aftersales", reply("adapter_name_or_path=" + aftersales));
        assertNotEquals(alone.get(""), alone.get("presales"), "the adapters change the greedy reply: " + alone);
        assertNotEquals(alone.get("presales"), alone.get("aftersales"), alone.toString());

        JsonNode chat = post("/api/chat/load", "{\"values\": {\"model_name_or_path\": \"" + model + "\", \"template\": \"qwen\","
                + " \"adapter_name_or_path\": \"saves/presales\", \"do_sample\": false, \"max_new_tokens\": \"12\"}}", 200);
        assertEquals("presales", chat.get("default_adapter").asText(), chat.toString());
        chat = post("/api/chat/adapters/add", "{\"path\": \"saves/aftersales\"}", 200);
        assertEquals("[\"presales\",\"aftersales\"]", names(chat), "named after their folders, in the order added");

        // the page's comparison: the same message to the base and both adapters at once (decoded in one batch)
        List<CompletableFuture<String>> replies = new ArrayList<>();
        for (String adapter : alone.keySet()) replies.add(CompletableFuture.supplyAsync(() -> send("\"" + adapter + "\"")));
        List<String> got = replies.stream().map(CompletableFuture::join).toList();
        assertEquals(new ArrayList<>(alone.values()), got, "base, presales, aftersales as each alone");
        assertEquals(alone.get("presales"), send(null), "a message naming none is answered by the adapter loaded with the model");

        assertTrue(post("/api/chat/send", body("\"nosuch\""), 400).get("errors").get("adapter").asText().contains("served: [presales, aftersales]"));
        assertTrue(error("/api/chat/adapters/add", "{\"path\": \"saves/aftersales\"}", "adapter_name").contains("served already"));
        assertTrue(error("/api/chat/adapters/add", "{\"path\": \"/etc\", \"name\": \"etc\"}", "adapter_path").contains("outside the folders"));
        Files.createDirectories(work.resolve("saves/empty"));
        assertTrue(error("/api/chat/adapters/add", "{\"path\": \"saves/empty\"}", "adapter_path").contains("no adapter_config.json"));
        assertTrue(error("/api/chat/adapters/add", "{\"path\": \"saves/presales\", \"name\": \"a b\"}", "adapter_name").contains("may hold only"));
        assertEquals("[\"presales\",\"aftersales\"]", names(post("/api/chat", null, 200)), "refused adapters leave the set as it was");

        assertEquals("[\"presales\"]", names(post("/api/chat/adapters/remove", "{\"name\": \"aftersales\"}", 200)));
        post("/api/chat/unload", "{}", 200);
    }

    @Test
    void theChatLoadsTheBaseQuantized() throws Exception {
        String expected = reply("quantization_bit=4", "quantization_type=nf4");
        post("/api/chat/load", "{\"values\": {\"model_name_or_path\": \"" + model + "\", \"template\": \"qwen\","
                + " \"quantization_bit\": \"4\", \"do_sample\": false, \"max_new_tokens\": \"12\"}}", 200);
        assertEquals(expected, send("\"\""), "as jtune chat with quantization_bit 4 answers");
        post("/api/chat/unload", "{}", 200);
    }

    /** The greedy reply of an engine loaded with these overrides alone. */
    private static String reply(String... overrides) {
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(model, overrides)))) {
            SamplingParams greedy = new SamplingParams(false, null, null, null, 12, List.of(), null, null, null, null);
            return engine.generate(new ChatRequest(List.of(ChatMessage.user(QUESTION)), null, greedy, new Cancellation()), piece -> {}).text();
        }
    }

    private static String body(String adapter) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"" + QUESTION + "\"}], \"sampling\": {\"do_sample\": false,"
                + " \"max_new_tokens\": \"12\"}" + (adapter == null ? "" : ", \"adapter\": " + adapter) + "}";
    }

    /** Sends the question and returns the reply streamed back, as NDJSON text pieces. */
    private static String send(String adapter) {
        try {
            HttpResponse<String> r = HTTP.send(request("/api/chat/send").POST(HttpRequest.BodyPublishers.ofString(body(adapter))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            StringBuilder text = new StringBuilder();
            for (String line : r.body().split("\n")) {
                JsonNode n = Json.MAPPER.readTree(line);
                assertTrue(!n.has("error"), line);
                text.append(n.path("text").asText(""));
            }
            return text.toString();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String names(JsonNode chat) {
        List<String> names = new ArrayList<>();
        chat.get("adapters").forEach(a -> names.add("\"" + a.get("name").asText() + "\""));
        return "[" + String.join(",", names) + "]";
    }

    private static String error(String path, String body, String field) throws Exception {
        JsonNode errors = post(path, body, 400).get("errors");
        assertTrue(errors != null && errors.has(field), String.valueOf(errors));
        return errors.get(field).asText();
    }

    /** POSTs {@code body} (or GETs when null) and checks the status. */
    private static JsonNode post(String path, String body, int status) throws Exception {
        HttpRequest.Builder b = request(path);
        HttpResponse<String> r = HTTP.send((body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header(WebUiServer.TOKEN_HEADER, server.token()).header("Content-Type", "application/json");
    }
}
