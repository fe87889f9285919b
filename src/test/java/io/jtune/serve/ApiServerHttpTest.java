package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The wire format and every refusal of POST /v1/chat/completions, seen through plain HTTP. */
class ApiServerHttpTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "sk-http";
    static FakeChatEngine engine;
    static ApiServer server;
    static HttpClient http;

    @BeforeAll
    static void start() {
        engine = new FakeChatEngine(0);
        server = ApiServer.start(engine, ApiSettings.defaults().withPort(0).withApiKey(KEY));
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        http.close();
        server.stop();
    }

    static HttpResponse<String> post(String body, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return post(body, "Bearer " + KEY);
    }

    static JsonNode error(HttpResponse<String> response) throws IOException {
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals(4, error.size(), response.body()); // message, type, param, code: always all four
        return error;
    }

    static Stream<Arguments> invalidRequests() {
        String user = "{\"role\":\"user\",\"content\":\"hi\"}";
        String assistant = "{\"role\":\"assistant\",\"content\":\"ok\"}";
        String ok = "\"model\":\"m\",\"messages\":[" + user + "]";
        return Stream.of(
                Arguments.of("not json", null, "not valid JSON"),
                Arguments.of("[1,2]", null, "must be a JSON object"),
                Arguments.of("{\"messages\":[" + user + "]}", "model", "Missing required parameter: 'model'"),
                Arguments.of("{\"model\":5,\"messages\":[" + user + "]}", "model", "'model' must be a string, got a number"),
                Arguments.of("{\"model\":\"m\"}", "messages", "Missing required parameter: 'messages'"),
                Arguments.of("{\"model\":\"m\",\"messages\":\"hi\"}", "messages", "must be an array"),
                Arguments.of("{\"model\":\"m\",\"messages\":[]}", "messages", "at least one message"),
                Arguments.of("{\"model\":\"m\",\"messages\":[\"hi\"]}", "messages[0]", "must be an object"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"content\":\"hi\"}]}", "messages[0].role", "Missing required parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":1,\"content\":\"hi\"}]}", "messages[0].role", "must be a string"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}", "messages[0].role", "Invalid role 'robot'"),
                Arguments.of("{\"model\":\"m\",\"messages\":[" + assistant + "]}", "messages[0].role", "must be a 'user' message"),
                Arguments.of("{\"model\":\"m\",\"messages\":[" + user + "," + assistant + "]}", "messages", "u/a/u/a/u"),
                Arguments.of("{\"model\":\"m\",\"messages\":[" + user + "," + user + "," + user + "]}", "messages[1].role", "must be a 'assistant' message"),
                Arguments.of("{\"model\":\"m\",\"messages\":[" + user + ",{\"role\":\"system\",\"content\":\"s\"}," + user + "]}",
                        "messages[1].role", "only allowed as the first message"),
                Arguments.of("{\"model\":\"m\",\"messages\":[" + user + ",{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"42\"}," + user + "]}",
                        "messages[1].role", "must be a 'assistant' message, got 'tool'"),
                Arguments.of("{\"model\":\"m\",\"messages\":[" + user + ",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"content\":\"42\"}]}",
                        "messages[2].tool_call_id", "Missing required parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", "messages[0].content", "Missing required parameter"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":7}]}", "messages[0].content", "string or an array of text parts"),
                Arguments.of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}",
                        "messages[0].content[0]", "'image_url' is not supported"),
                Arguments.of("{" + ok + ",\"n\":2}", "n", "n=2 is not supported"),
                Arguments.of("{" + ok + ",\"n\":0}", "n", "at least 1"),
                Arguments.of("{" + ok + ",\"tools\":[{\"type\":\"function\",\"function\":{}}]}", "tools[0].function.name", "non-empty string"),
                Arguments.of("{" + ok + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"required\"}",
                        "tool_choice", "cannot force a tool call"),
                Arguments.of("{" + ok + ",\"functions\":[{\"name\":\"f\"}]}", "functions", "use 'tools'"),
                Arguments.of("{" + ok + ",\"logprobs\":true}", "logprobs", "not supported"),
                Arguments.of("{" + ok + ",\"logit_bias\":{\"50256\":-100}}", "logit_bias", "not supported"),
                Arguments.of("{" + ok + ",\"response_format\":{\"type\":\"json_object\"}}", "response_format", "Only response_format"),
                Arguments.of("{" + ok + ",\"stream\":\"yes\"}", "stream", "must be a boolean, got a string"),
                Arguments.of("{" + ok + ",\"temperature\":\"hot\"}", "temperature", "must be a number, got a string"),
                Arguments.of("{" + ok + ",\"temperature\":2.5}", "temperature", "between 0 and 2"),
                Arguments.of("{" + ok + ",\"top_p\":1.5}", "top_p", "between 0 and 1"),
                Arguments.of("{" + ok + ",\"top_k\":-1}", "top_k", "at least 0"),
                Arguments.of("{" + ok + ",\"max_tokens\":0}", "max_tokens", "at least 1"),
                Arguments.of("{" + ok + ",\"max_completion_tokens\":1.5}", "max_completion_tokens", "must be an integer"),
                Arguments.of("{" + ok + ",\"stop\":5}", "stop", "string or an array of strings"),
                Arguments.of("{" + ok + ",\"stop\":[\"\"]}", "stop", "must not be empty"),
                Arguments.of("{" + ok + ",\"seed\":\"x\"}", "seed", "must be an integer"),
                Arguments.of("{" + ok + ",\"presence_penalty\":3}", "presence_penalty", "between -2 and 2"),
                Arguments.of("{" + ok + ",\"frequency_penalty\":-2.5}", "frequency_penalty", "between -2 and 2"),
                Arguments.of("{" + ok + ",\"repetition_penalty\":0}", "repetition_penalty", "greater than 0"));
    }

    @ParameterizedTest
    @MethodSource("invalidRequests")
    void refusesInvalidRequestsWith400(String body, String param, String message) throws Exception {
        int generationsBefore = engine.requests.size();
        HttpResponse<String> response = post(body);
        assertEquals(400, response.statusCode(), response.body());
        JsonNode error = error(response);
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText(), response.body());
        assertTrue(error.get("message").asText().contains(message), response.body());
        assertEquals(generationsBefore, engine.requests.size(), "a refused request never reaches the model");
    }

    @Test
    void acceptsTextPartsNullsAndIgnorableFields() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"m\",\"user\":\"u1\",\"temperature\":null,\"tools\":[],\"logprobs\":false,"
                + "\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Be \"},{\"type\":\"text\",\"text\":\"kind.\"}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello there\"}]}]}");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals(FakeChatEngine.reply("hello there"), body.at("/choices/0/message/content").asText());
        assertEquals("assistant", body.at("/choices/0/message/role").asText());
        assertEquals("stop", body.at("/choices/0/finish_reason").asText());
        assertEquals("Be kind.", engine.requests.getLast().system());
        assertNull(engine.requests.getLast().sampling().temperature());
    }

    @Test
    void requiresTheBearerKey() throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        for (String authorization : new String[] {null, "Bearer wrong", KEY, "Basic " + KEY}) {
            HttpResponse<String> response = post(body, authorization);
            assertEquals(401, response.statusCode(), String.valueOf(authorization));
            assertEquals("invalid_api_key", error(response).get("code").asText());
        }
        assertEquals(200, post(body, "bearer " + KEY).statusCode()); // the scheme is case-insensitive
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, models.statusCode());
    }

    @Test
    void answersUnknownEndpointsWithAnOpenAiError() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/completions"))
                .header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, response.statusCode());
        assertTrue(error(response).get("message").asText().contains("POST /v1/completions"), response.body());
    }

    @Test
    void turnsAnEngineRefusalInto400() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + FakeChatEngine.TOO_LONG + "\"}]}");
        assertEquals(400, response.statusCode());
        assertTrue(error(response).get("message").asText().contains("context is 4096"), response.body());
    }

    @Test
    void streamsServerSentEventsEndingWithDone() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"sse\"}]}");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        List<String> tokens = FakeChatEngine.tokens("sse");
        String[] events = response.body().split("\n\n", -1);
        assertEquals(tokens.size() + 3 + 1, events.length, response.body()); // role, tokens, finish, [DONE], then "" after the last separator
        assertEquals("", events[events.length - 1]);
        assertEquals("data: [DONE]", events[events.length - 2]);
        JsonNode role = JSON.readTree(events[0].substring("data: ".length()));
        assertEquals("chat.completion.chunk", role.get("object").asText());
        assertEquals("{\"role\":\"assistant\",\"content\":\"\"}", role.at("/choices/0/delta").toString());
        assertTrue(role.at("/choices/0/finish_reason").isNull());
        for (int i = 0; i < tokens.size(); i++) {
            JsonNode chunk = JSON.readTree(events[1 + i].substring("data: ".length()));
            assertEquals(tokens.get(i), chunk.at("/choices/0/delta/content").asText());
            assertEquals(role.get("id").asText(), chunk.get("id").asText());
        }
        JsonNode finish = JSON.readTree(events[tokens.size() + 1].substring("data: ".length()));
        assertEquals("{}", finish.at("/choices/0/delta").toString());
        assertEquals("stop", finish.at("/choices/0/finish_reason").asText());
    }

    @Test
    void reportsAnEngineRefusalInsideTheStream() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + FakeChatEngine.TOO_LONG + "\"}]}");
        assertEquals(200, response.statusCode());
        String[] events = response.body().split("\n\n");
        assertEquals(2, events.length, response.body()); // role chunk, error; no [DONE]
        assertTrue(events[1].startsWith("data: {\"error\":"), events[1]);
        assertFalse(response.body().contains("[DONE]"));
    }

    @Test
    void bodyJustUnderTheLimitIsServed() throws Exception {
        String longMessage = "word ".repeat(100_000).strip(); // ~500 KB, under the 1 MiB default
        HttpResponse<String> response = post("{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"" + longMessage + "\"}]}");
        assertEquals(200, response.statusCode());
        assertEquals("You said: ", JSON.readTree(response.body()).at("/choices/0/message/content").asText());
    }
}
