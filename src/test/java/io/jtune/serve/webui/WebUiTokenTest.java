package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loopback web UI started without --token still needs one: a random token made per start, in the
 * URL it prints, then a cookie. Config save never replaces a file unasked; path fields refuse control
 * characters.
 */
class WebUiTokenTest {
    @TempDir static Path work;
    static WebUiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        Files.createDirectories(work.resolve("model"));
        Files.writeString(work.resolve("model/config.json"), "{}");
        Files.createDirectories(work.resolve("data"));
        Files.writeString(work.resolve("data/dataset_info.json"), "{\"d\": {\"file_name\": \"d.jsonl\"}}");
        Files.writeString(work.resolve("data/d.jsonl"), "{\"instruction\": \"a\", \"output\": \"b\"}\n");
        server = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, null, work, List.of()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutATokenGivenOneIsMadeForThisStartAndPrintedInTheUrl() throws Exception {
        String token = server.token();
        assertTrue(token.matches("[0-9a-f]{64}"), token);
        assertEquals("http://127.0.0.1:" + server.port() + "/?token=" + token, server.url());
        assertEquals(401, send("GET", "/api/forms", null).statusCode(), "no token, no API, even on loopback");
        assertEquals(401, send("POST", "/api/jobs/abort", "{}").statusCode());
        assertEquals(401, send("GET", "/api/forms", null, WebUiServer.TOKEN_HEADER, "0".repeat(64)).statusCode());
        assertEquals(200, send("GET", "/api/forms", null, WebUiServer.TOKEN_HEADER, token).statusCode());
        try (WebUiServer other = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, null, work, List.of()))) {
            assertNotEquals(token, other.token(), "a new token each start");
        }
        String given = "given-by-flag-0123456789";
        try (WebUiServer flagged = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, given, work, List.of()))) {
            assertEquals(given, flagged.token());
            assertTrue(flagged.url().endsWith("/?token=" + given));
        }
    }

    @Test
    void theFirstVisitWithTheTokenLeavesACookieTheApiAccepts() throws Exception {
        assertTrue(send("GET", "/?token=wrong", null).headers().firstValue("Set-Cookie").isEmpty(), "a wrong token sets nothing");
        assertTrue(send("GET", "/", null).headers().firstValue("Set-Cookie").isEmpty());
        HttpResponse<String> page = send("GET", "/?token=" + server.token(), null);
        assertEquals(200, page.statusCode());
        String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        String pair = cookie.split(";", 2)[0];
        assertEquals("jtune_token_" + server.port() + "=" + server.token(), pair);
        assertEquals(200, send("GET", "/api/forms", null, "Cookie", pair).statusCode());
        assertEquals(401, send("GET", "/api/forms", null, "Cookie", "jtune_token_" + server.port() + "=nope").statusCode());
    }

    static HttpResponse<String> save(String configPath, Boolean overwrite, int loraRank) throws Exception {
        String body = "{\"form\": \"train\", \"config_path\": \"" + configPath + "\"" + (overwrite == null ? "" : ", \"overwrite\": " + overwrite)
                + ", \"values\": {\"model_name_or_path\": \"model\", \"output_dir\": \"out\", \"dataset_dir\": \"data\", \"dataset\": \"d\", \"lora_rank\": \"" + loraRank + "\"}}";
        return send("POST", "/api/config/save", body, WebUiServer.TOKEN_HEADER, server.token(), "Content-Type", "application/json");
    }

    @Test
    void configSaveNeverReplacesAFileUnlessAskedTo() throws Exception {
        Path tracked = Files.writeString(work.resolve("tracked.yaml"), "# a tracked file\n");
        for (Boolean flag : new Boolean[] {null, false}) {
            HttpResponse<String> r = save("tracked.yaml", flag, 4);
            assertEquals(400, r.statusCode(), r.body());
            JsonNode errors = Json.MAPPER.readTree(r.body()).get("errors");
            assertTrue(errors.path("config_path").asText().contains("exists"), r.body());
            assertEquals("# a tracked file\n", Files.readString(tracked));
        }
        assertEquals(200, save("tracked.yaml", true, 4).statusCode());
        assertTrue(Files.readString(tracked).contains("lora_rank: 4"));

        assertEquals(200, save("sub/new.yaml", null, 8).statusCode(), "a new file needs no flag");
        assertTrue(Files.readString(work.resolve("sub/new.yaml")).contains("lora_rank: 8"));
        Files.createSymbolicLink(work.resolve("link.yaml"), work.resolve("missing-target.yaml"));
        assertEquals(400, save("link.yaml", null, 4).statusCode(), "a link counts as an existing file");
        assertFalse(Files.exists(work.resolve("missing-target.yaml")));
    }

    @Test
    void pathFieldsRefuseControlCharacters() throws Exception {
        HttpResponse<String> r = send("POST", "/api/preview",
                "{\"form\": \"train\", \"values\": {\"model_name_or_path\": \"model\", \"output_dir\": \"out\\nput\"}}",
                WebUiServer.TOKEN_HEADER, server.token(), "Content-Type", "application/json");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(Json.MAPPER.readTree(r.body()).at("/errors/output_dir").asText().contains("control characters"), r.body());
        HttpResponse<String> cfg = save("a\\u001b[2Jb.yaml", null, 4);
        assertEquals(400, cfg.statusCode(), cfg.body());
        assertTrue(Json.MAPPER.readTree(cfg.body()).at("/errors/config_path").asText().contains("control characters"), cfg.body());
    }
}
