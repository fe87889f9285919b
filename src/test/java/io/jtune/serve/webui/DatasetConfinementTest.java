package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.JtuneException;
import io.jtune.data.SkipReport;
import io.jtune.data.source.DataFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every dataset file a job or a preview opens must lie under the web UI's roots after following
 * links: a file_name with "../" or an absolute path, or a link inside a dataset folder to a file
 * elsewhere, is refused with a message and nothing of it is read or shown.
 */
class DatasetConfinementTest {
    static final String TOKEN = "0123456789abcdef-confine";
    static final String SECRET = "TOP-SECRET-LINE-do-not-show";
    @TempDir static Path tmp;
    static Path work;
    static Path secret;
    static WebUiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        work = Files.createDirectories(tmp.resolve("work"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret.jsonl"), "{\"instruction\": \"" + SECRET + "\", \"output\": \"x\"}\n");
        Path data = Files.createDirectories(work.resolve("data"));
        Files.writeString(data.resolve("ok.jsonl"), "{\"instruction\": \"a\", \"output\": \"b\"}\n");
        Path folder = Files.createDirectories(data.resolve("linked"));
        Files.writeString(folder.resolve("a.jsonl"), "{\"instruction\": \"a\", \"output\": \"b\"}\n");
        Files.createSymbolicLink(folder.resolve("b.jsonl"), secret);
        Files.createSymbolicLink(data.resolve("link.jsonl"), secret);
        Files.writeString(data.resolve("dataset_info.json"), """
                {"ok": {"file_name": "ok.jsonl"},
                 "up": {"file_name": "../../outside/secret.jsonl"},
                 "absolute": {"file_name": "%s"},
                 "link": {"file_name": "link.jsonl"},
                 "folder": {"file_name": "linked"}}""".formatted(secret.toString().replace("\\", "\\\\")));
        Files.createDirectories(work.resolve("model"));
        Files.writeString(work.resolve("model/config.json"), "{}");
        server = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, TOKEN, work, List.of()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header(WebUiServer.TOKEN_HEADER, TOKEN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void previewRefusesEveryWayOut() throws Exception {
        assertEquals(200, send("GET", "/api/datasets/preview?dataset_dir=data&name=ok", null).statusCode());
        for (String name : List.of("up", "absolute", "link", "folder")) {
            HttpResponse<String> r = send("GET", "/api/datasets/preview?dataset_dir=data&name=" + name, null);
            assertEquals(400, r.statusCode(), name + ": " + r.body());
            assertTrue(Json.MAPPER.readTree(r.body()).at("/errors/dataset").asText().contains("leads outside the folders"), r.body());
            assertFalse(r.body().contains(SECRET), r.body());
        }
    }

    @Test
    void jobsRefuseDatasetAndEvalDatasetOutsideTheRoots() throws Exception {
        for (String name : List.of("up", "absolute", "link", "folder")) {
            JsonNode train = errors("{\"form\": \"train\", \"values\": {\"model_name_or_path\": \"model\", \"dataset_dir\": \"data\","
                    + " \"dataset\": \"ok," + name + "\", \"output_dir\": \"out\"}}");
            assertTrue(train.get("dataset").asText().contains("leads outside the folders"), train.toString());
            for (String form : List.of("evaluate", "predict")) {
                JsonNode eval = errors("{\"form\": \"" + form + "\", \"values\": {\"model_name_or_path\": \"model\", \"dataset_dir\": \"data\","
                        + " \"eval_dataset\": \"" + name + "\", \"output_dir\": \"out\"}}");
                assertTrue(eval.get("eval_dataset").asText().contains("leads outside the folders"), eval.toString());
                assertFalse(eval.toString().contains(SECRET));
            }
        }
        assertNull(server.api().job(), "no job was started");
    }

    private static JsonNode errors(String body) throws Exception {
        HttpResponse<String> r = send("POST", "/api/jobs", body);
        assertEquals(400, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body()).get("errors");
    }

    /** The second line of defence: a job's own reads go through the guard too (a link made after the form was checked). */
    @Test
    void aJobRefusesAFileOutsideTheRootsAsItOpensIt() throws Exception {
        PathGuard guard = new PathGuard(work, List.of());
        TaskJob job = new TaskJob("predict", Map.of(), "", log -> {
            log.println("read " + DataFiles.read(work.resolve("data/linked"), new SkipReport()));
            return Map.of();
        }, null, System::nanoTime);
        job.confineDataFiles(guard.dataFileCheck());
        job.start();
        job.join(10_000);
        JsonNode view = job.toJson();
        assertEquals("failed", view.get("state").asText(), view.toString());
        assertTrue(view.get("error").asText().contains("leads outside the folders"), view.toString());
        assertFalse(view.toString().contains(SECRET), view.toString());

        JtuneException refused = assertThrows(JtuneException.class, () -> ScopedValue.where(DataFiles.FILE_CHECK, guard.dataFileCheck())
                .call(() -> io.jtune.data.source.DatasetRegistry.load(tmp.resolve("outside"))));
        assertTrue(refused.getMessage().contains("leads outside the folders"), refused.getMessage());
        assertEquals(2, DataFiles.read(work.resolve("data/linked"), new SkipReport()).size(), "unbound, the command line reads what it names");
    }
}
