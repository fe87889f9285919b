package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP side without a browser or a model: token, origin and host checks, error shapes, static files. */
class WebUiServerTest {
    static final String TOKEN = "0123456789abcdef-token";
    @TempDir static Path work;
    static WebUiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        Files.createDirectories(work.resolve("data"));
        Files.writeString(work.resolve("data/dataset_info.json"), "{\"d\": {\"file_name\": \"d.jsonl\"},"
                + " \"pairs\": {\"file_name\": \"pairs.jsonl\", \"ranking\": true, \"columns\": {\"prompt\": \"instruction\", \"chosen\": \"chosen\", \"rejected\": \"rejected\"}},"
                + " \"thumbs\": {\"file_name\": \"thumbs.jsonl\", \"formatting\": \"sharegpt\", \"columns\": {\"messages\": \"messages\", \"kto_tag\": \"label\"},"
                + " \"tags\": {\"role_tag\": \"role\", \"content_tag\": \"content\", \"user_tag\": \"user\", \"assistant_tag\": \"assistant\"}}}");
        Files.writeString(work.resolve("data/d.jsonl"), "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"c\", \"output\": \"d\"}\n");
        Files.writeString(work.resolve("data/pairs.jsonl"), "{\"instruction\": \"Capital of France?\", \"chosen\": \"Paris.\", \"rejected\": \"Rome.\"}\n"
                + "{\"instruction\": \"no answers\"}\n");
        Files.writeString(work.resolve("data/thumbs.jsonl"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"2+2?\"}, {\"role\": \"assistant\", \"content\": \"4\"}], \"label\": true}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"2+3?\"}, {\"role\": \"assistant\", \"content\": \"6\"}], \"label\": false}\n");
        Files.createDirectories(work.resolve("model"));
        Files.writeString(work.resolve("model/config.json"), "{}");
        server = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, TOKEN, work, List.of()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String token, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header(WebUiServer.TOKEN_HEADER, token);
        if (origin != null) b.header("Origin", origin);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theApiNeedsTheTokenButThePageDoesNot() throws Exception {
        assertEquals(401, send("GET", "/api/forms", null, null, null).statusCode());
        assertEquals(401, send("GET", "/api/forms", null, "wrong-token-of-some-length", null).statusCode());
        HttpResponse<String> forms = send("GET", "/api/forms", null, TOKEN, null);
        assertEquals(200, forms.statusCode());
        JsonNode json = Json.MAPPER.readTree(forms.body());
        assertTrue(json.get("templates").toString().contains("chatml"));
        assertEquals("model_name_or_path", json.get("forms").get("train").get("fields").get(0).get("name").asText());
        HttpResponse<String> page = send("GET", "/", null, null, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>jtune web UI</title>"));
        assertEquals(200, send("GET", "/static/app.js", null, null, null).statusCode());
        assertEquals(200, send("GET", "/static/i18n.json", null, null, null).statusCode(), "the page's texts need no token either");
        assertEquals(404, send("GET", "/static/..%2Fapp.js", null, null, null).statusCode());
        assertEquals(404, send("GET", "/static/nope.js", null, null, null).statusCode());
    }

    @Test
    void badFieldsComeBackOneMessageEach() throws Exception {
        HttpResponse<String> r = send("POST", "/api/preview",
                "{\"form\": \"train\", \"values\": {\"model_name_or_path\": \"/etc\", \"learning_rate\": \"-1\"}}", TOKEN, null);
        assertEquals(400, r.statusCode());
        JsonNode errors = Json.MAPPER.readTree(r.body()).get("errors");
        assertEquals(2, errors.size(), r.body());
        assertTrue(errors.get("model_name_or_path").asText().contains("outside the folders"), r.body());
        assertTrue(errors.get("learning_rate").asText().contains("-1"), r.body());
        HttpResponse<String> bad = send("POST", "/api/preview", "not json", TOKEN, null);
        assertEquals(400, bad.statusCode());
        assertTrue(Json.MAPPER.readTree(bad.body()).get("error").asText().startsWith("the request body is not valid JSON"));
    }

    @Test
    void datasetsAndTheirPreviewComeFromDatasetInfo() throws Exception {
        JsonNode names = Json.MAPPER.readTree(send("GET", "/api/datasets?dataset_dir=data", null, TOKEN, null).body());
        assertEquals("[\"d\",\"pairs\",\"thumbs\"]", names.get("names").toString());
        assertEquals("[\"pairs\"]", names.get("ranking").toString(), "the page offers these for rm and dpo, the others for the other stages");
        JsonNode preview = Json.MAPPER.readTree(send("GET", "/api/datasets/preview?dataset_dir=data&name=d", null, TOKEN, null).body());
        assertEquals(2, preview.get("total").asInt());
        assertEquals("a", preview.get("records").get(0).get("instruction").asText());
        HttpResponse<String> outside = send("GET", "/api/datasets?dataset_dir=/etc", null, TOKEN, null);
        assertEquals(400, outside.statusCode());
        assertTrue(outside.body().contains("\"dataset_dir\""), outside.body());
    }

    @Test
    void thePreviewShowsPairsWithTheirChosenAndRejectedAnswersAndKtoRecordsWithTheirTag() throws Exception {
        JsonNode pairs = Json.MAPPER.readTree(send("GET", "/api/datasets/preview?dataset_dir=data&name=pairs", null, TOKEN, null).body());
        assertEquals("pairwise", pairs.get("kind").asText());
        assertEquals("{\"prompt\":[{\"role\":\"user\",\"content\":\"Capital of France?\"}],\"chosen\":\"Paris.\",\"rejected\":\"Rome.\"}",
                pairs.get("examples").get(0).toString());
        assertTrue(pairs.get("examples").get(1).get("error").asText().contains("chosen"), "a record training skips says why: " + pairs);
        JsonNode thumbs = Json.MAPPER.readTree(send("GET", "/api/datasets/preview?dataset_dir=data&name=thumbs", null, TOKEN, null).body());
        assertEquals("kto", thumbs.get("kind").asText());
        assertEquals("{\"prompt\":[{\"role\":\"user\",\"content\":\"2+2?\"}],\"response\":\"4\",\"desirable\":true}",
                thumbs.get("examples").get(0).toString());
        assertEquals("{\"prompt\":[{\"role\":\"user\",\"content\":\"2+3?\"}],\"response\":\"6\",\"desirable\":false}",
                thumbs.get("examples").get(1).toString());
        JsonNode plain = Json.MAPPER.readTree(send("GET", "/api/datasets/preview?dataset_dir=data&name=d", null, TOKEN, null).body());
        assertEquals("supervised", plain.get("kind").asText());
        assertEquals("b", plain.get("examples").get(0).get("response").asText());
    }

    @Test
    void aDatasetMustFitTheStage() throws Exception {
        String values = "{\"model_name_or_path\": \"model\", \"template\": \"chatml\", \"dataset_dir\": \"data\", \"output_dir\": \"out\", ";
        JsonNode sftOnPairs = errors("/api/preview", "{\"form\": \"train\", \"values\": " + values + "\"dataset\": \"pairs\"}}");
        assertEquals("{\"dataset\":\"'pairs' is a preference dataset (\\\"ranking\\\": true), which does not fit stage sft:"
                + " rm and dpo need ranking datasets, the other stages non-ranking ones\"}", sftOnPairs.toString());
        JsonNode dpoOnPlain = errors("/api/preview", "{\"form\": \"train\", \"values\": " + values + "\"stage\": \"dpo\", \"dataset\": \"d,pairs\"}}");
        assertTrue(dpoOnPlain.get("dataset").asText().startsWith("'d' is not a preference dataset"), dpoOnPlain.toString());
        assertEquals(200, send("POST", "/api/preview", "{\"form\": \"train\", \"values\": " + values + "\"stage\": \"dpo\", \"dataset\": \"pairs\"}}",
                TOKEN, null).statusCode());
        assertEquals(200, send("POST", "/api/preview", "{\"form\": \"train\", \"values\": " + values + "\"stage\": \"kto\", \"dataset\": \"thumbs\"}}",
                TOKEN, null).statusCode());
        assertTrue(errors("/api/predict", values.replace("\"output_dir\"", "\"eval_dataset\": \"pairs\", \"output_dir\"") + "\"max_new_tokens\": \"4\"}")
                .get("eval_dataset").asText().contains("does not fit stage sft"), "evaluation and prediction run as sft");
    }

    @Test
    void eachTabsPreviewShowsTheCommandThatRunsIt() throws Exception {
        JsonNode train = Json.MAPPER.readTree(send("POST", "/api/preview", "{\"form\": \"train\", \"values\": {\"model_name_or_path\": \"model\","
                + " \"template\": \"chatml\", \"dataset_dir\": \"data\", \"dataset\": \"d\", \"output_dir\": \"out\"}}", TOKEN, null).body());
        assertEquals("jtune train train_config.yaml", train.path("command").asText(), train.toString());
        JsonNode export = Json.MAPPER.readTree(send("POST", "/api/preview",
                "{\"form\": \"export\", \"values\": {\"model_name_or_path\": \"model\", \"export_dir\": \"merged\"}}", TOKEN, null).body());
        assertEquals("jtune export export_config.yaml", export.get("command").asText(), export.toString());
        assertTrue(export.get("yaml").asText().contains("export_dir: "), export.toString());
        assertTrue(!export.get("yaml").asText().contains("do_train"), "an export config has no training keys: " + export);
        JsonNode named = Json.MAPPER.readTree(send("POST", "/api/preview", "{\"form\": \"export\", \"config_path\": \"configs/merge.yaml\","
                + " \"values\": {\"model_name_or_path\": \"model\"}}", TOKEN, null).body());
        assertEquals("jtune export configs/merge.yaml", named.get("command").asText());
    }

    @Test
    void thePageHasAFavicon() throws Exception {
        HttpResponse<String> page = send("GET", "/", null, null, null);
        assertTrue(page.body().contains("<link rel=\"icon\" type=\"image/svg+xml\" href=\"/static/favicon.svg\">"), page.body());
        HttpResponse<String> icon = send("GET", "/static/favicon.svg", null, null, null);
        assertEquals(200, icon.statusCode());
        assertEquals("image/svg+xml", icon.headers().firstValue("Content-Type").orElse(""));
        assertTrue(icon.body().startsWith("<svg"), icon.body());
    }

    @Test
    void otherSitesCannotPost() throws Exception {
        HttpResponse<String> r = send("POST", "/api/jobs/abort", "{}", TOKEN, "http://evil.example");
        assertEquals(403, r.statusCode());
        assertEquals(400, send("POST", "/api/jobs/abort", "{}", TOKEN, "http://127.0.0.1:" + server.port()).statusCode(), "no job running");
    }

    @Test
    void aRebindedHostNameIsRefused() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/forms HTTP/1.1\r\nHost: evil.example:" + server.port() + "\r\n" + WebUiServer.TOKEN_HEADER + ": " + TOKEN
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
            assertTrue(status.startsWith("HTTP/1.1 403"), status);
        }
    }

    @Test
    void exportAndPredictCheckTheirFieldsBeforeAnyJobStarts() throws Exception {
        JsonNode unsupported = errors("/api/export", "{\"model_name_or_path\": \"/etc\", \"export_dir\": \"out\","
                + " \"export_legacy_format\": true, \"export_quantization_bit\": 8}");
        assertEquals(3, unsupported.size(), unsupported.toString());
        assertTrue(unsupported.get("model_name_or_path").asText().contains("outside the folders"), unsupported.toString());
        assertTrue(unsupported.get("export_legacy_format").asText().contains("safetensors only"), unsupported.toString());
        assertTrue(unsupported.get("export_quantization_bit").asText().contains("not implemented"), unsupported.toString());
        assertEquals("{\"export_dir\":\"required: the folder to write the exported model to\"}",
                errors("/api/export", "{\"model_name_or_path\": \"model\"}").toString());
        assertTrue(errors("/api/export", "{\"model_name_or_path\": \"model\", \"export_dir\": \"model\"}").get("export_dir").asText()
                .contains("model folder being read"));
        assertEquals("{\"eval_dataset\":\"required: the dataset to predict on\"}",
                errors("/api/predict", "{\"model_name_or_path\": \"model\", \"output_dir\": \"p\"}").toString());
        assertTrue(errors("/api/predict", "{\"model_name_or_path\": \"model\", \"dataset_dir\": \"data\", \"eval_dataset\": \"d\"}")
                .get("output_dir").asText().startsWith("required"));
        assertTrue(errors("/api/jobs", "{\"form\": \"export\", \"values\": {\"model_name_or_path\": \"model\"}}").has("export_dir"),
                "the page starts every job through /api/jobs");
        assertEquals(null, server.api().job(), "no job was started");
    }

    /** The per-field errors of a POST with {"values": ...} that must be refused. */
    private static JsonNode errors(String path, String values) throws Exception {
        String body = values.startsWith("{\"form\"") ? values : "{\"values\": " + values + "}";
        HttpResponse<String> r = send("POST", path, body, TOKEN, null);
        assertEquals(400, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body()).get("errors");
    }

    @Test
    void chatWithoutAModelSaysSo() throws Exception {
        HttpResponse<String> chat = send("POST", "/api/chat/send", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", TOKEN, null);
        assertTrue(chat.body().contains("no model is loaded"), chat.body());
    }
}
