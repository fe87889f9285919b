package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.infer.ChatResult;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.TinyChatModels;
import io.jtune.infer.TokenListener;
import io.jtune.serve.ApiSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jtune api} end to end: the real engine on a tiny model behind the OpenAI routes, over loopback. */
class ApiCommandTest {
    @TempDir Path tmp;

    @Test
    void servesTheRealEngineStreamingAndNot() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        ObjectMapper json = new ObjectMapper();
        try (ApiCommand.Running api = ApiCommand.start(TinyChatModels.config(modelDir, "max_new_tokens=10"),
                ApiSettings.defaults().withPort(0).withApiKey("sk-test"))) {
            ChatResult direct = api.engine().generate(ChatRequest.of("hello 你好"), TokenListener.IGNORE);
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"model\": \"gpt-3.5-turbo\", \"messages\": [{\"role\": \"user\", \"content\": \"hello 你好\"}]";

            HttpResponse<String> plain = http.send(post(api, body + "}"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, plain.statusCode(), plain.body());
            JsonNode reply = json.readTree(plain.body());
            assertEquals(direct.text(), reply.at("/choices/0/message/content").asText());
            assertEquals(direct.finishReason().wireName(), reply.at("/choices/0/finish_reason").asText());
            assertEquals(direct.promptTokens(), reply.at("/usage/prompt_tokens").asInt());
            assertEquals(direct.completionTokens(), reply.at("/usage/completion_tokens").asInt());

            HttpResponse<java.util.stream.Stream<String>> streamed = http.send(post(api, body + ", \"stream\": true}"),
                    HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, streamed.statusCode());
            List<String> data = new ArrayList<>();
            streamed.body().filter(l -> l.startsWith("data: ")).forEach(l -> data.add(l.substring(6)));
            assertEquals("[DONE]", data.getLast());
            StringBuilder text = new StringBuilder();
            for (String chunk : data.subList(0, data.size() - 1)) {
                text.append(json.readTree(chunk).at("/choices/0/delta/content").asText(""));
            }
            assertEquals(direct.text(), text.toString());

            HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(URI.create(api.server().baseUrl() + "/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, noKey.statusCode());
            assertTrue(api.engine().modelName().startsWith("model"), api.engine().modelName());
        }
    }

    private static HttpRequest post(ApiCommand.Running api, String body) {
        return HttpRequest.newBuilder(URI.create(api.server().baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
