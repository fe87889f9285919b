package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.PredictWorkflow;
import io.jtune.infer.TinyChatModels;
import io.jtune.io.hf.HfModelDirectory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Export and Predict jobs through the web UI's API, on a tiny qwen2 model: a LoRA training is
 * started and aborted (meanwhile export and predict are refused: one job at a time), then its
 * checkpoint is merged into the base and exported, and predictions are generated with it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebUiExportPredictTest {
    @TempDir static Path work;
    static WebUiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Files.move(TinyChatModels.write(work.resolve("build")), work.resolve("tiny"));
        Files.createDirectories(work.resolve("data"));
        Files.writeString(work.resolve("data/dataset_info.json"), "{\"demo\": {\"file_name\": \"demo.json\"}}");
        Files.writeString(work.resolve("data/demo.json"), """
                [{"instruction": "hello", "input": "", "output": "hello world"},
                 {"instruction": "你好", "input": "", "output": "你好，世界！"},
                 {"instruction": "1 + 1 =", "input": "", "output": "2"}]
                """);
        server = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, null, work, List.of()));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void anAdapterTrainedInThePageIsExportedMergedAndPredictsOnADataset() throws Exception {
        JsonNode training = post("/api/jobs", """
                {"form": "train", "values": {"model_name_or_path": "tiny", "template": "qwen", "dataset_dir": "data",
                 "dataset": "demo", "cutoff_len": "64", "max_steps": "100000", "per_device_train_batch_size": "1",
                 "learning_rate": "1e-2", "lora_rank": "2", "logging_steps": "1", "save_steps": "100000", "output_dir": "saves/lora"}}""", 200);
        assertEquals("train", training.get("kind").asText());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (server.api().job().toJson().get("step").asInt() < 1 && System.nanoTime() < deadline) Thread.sleep(50);

        // One job at a time: while the training runs, export and predict are refused and start nothing.
        JsonNode busy = post("/api/export", "{\"values\": {\"model_name_or_path\": \"tiny\", \"export_dir\": \"saves/base\"}}", 409);
        assertEquals("a job is already running (train); jobs run one at a time: abort it or wait for it to end", busy.get("error").asText());
        post("/api/jobs", "{\"form\": \"predict\", \"values\": {\"model_name_or_path\": \"tiny\", \"template\": \"qwen\","
                + " \"dataset_dir\": \"data\", \"eval_dataset\": \"demo\", \"output_dir\": \"saves/p\"}}", 409);
        post("/api/jobs/abort", "{}", 200);
        assertEquals("aborted", finished().get("state").asText());
        assertTrue(!Files.exists(work.resolve("saves/base")) && !Files.exists(work.resolve("saves/p")), "the refused jobs wrote nothing");
        int step = server.api().job().toJson().get("step").asInt();
        String adapter = "saves/lora/checkpoint-" + step;
        assertTrue(Files.isRegularFile(work.resolve(adapter).resolve("adapter_model.safetensors")), adapter);

        JsonNode started = post("/api/export", exportValues(adapter, "saves/merged"), 200);
        assertEquals("export", started.get("kind").asText());
        JsonNode export = finished();
        assertEquals("finished", export.get("state").asText(), export.toString());
        Path merged = work.resolve("saves/merged");
        assertEquals(merged.toRealPath().toString(), export.get("result").get("export_dir").asText());
        assertEquals("Modelfile", export.get("result").get("modelfile").asText(), "a template gives an Ollama Modelfile");
        List<String> files = new java.util.ArrayList<>();
        export.get("result").get("files").forEach(f -> files.add(f.asText()));
        assertTrue(files.containsAll(List.of("Modelfile", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json")), files.toString());
        for (String f : files) assertTrue(Files.isRegularFile(merged.resolve(f)), f);
        JsonNode base = Json.MAPPER.readTree(work.resolve("tiny/config.json").toFile());
        JsonNode config = Json.MAPPER.readTree(merged.resolve("config.json").toFile());
        for (String key : List.of("architectures", "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "tie_word_embeddings", "torch_dtype")) {
            assertEquals(base.get(key), config.get(key), key);
        }
        String q = "model.layers.0.self_attn.q_proj.weight";
        try (HfModelDirectory b = HfModelDirectory.open(work.resolve("tiny")); HfModelDirectory m = HfModelDirectory.open(merged)) {
            assertFalse(java.util.Arrays.equals(b.tensor(q).toFloatArray(), m.tensor(q).toFloatArray()), "the trained adapter is merged into " + q);
            String k = "model.embed_tokens.weight";
            assertArrayEquals(b.tensor(k).toFloatArray(), m.tensor(k).toFloatArray(), 0f, "what LoRA did not train is copied as is");
        }
        assertTrue(export.get("log").toString().contains("Merging adapter " + work.toRealPath().resolve(adapter) + " (r=2"), export.toString());

        JsonNode predict = post("/api/predict", predictValues(adapter), 200);
        assertEquals("predict", predict.get("kind").asText());
        JsonNode done = finished();
        assertEquals("finished", done.get("state").asText(), done.toString());
        Path out = work.resolve("saves/predict");
        List<String> lines = Files.readAllLines(out.resolve(PredictWorkflow.PREDICTIONS_FILE));
        assertEquals(3, lines.size());
        String[] labels = {"hello world\n", "你好，世界！\n", "2\n"};
        for (int i = 0; i < 3; i++) {
            JsonNode line = Json.MAPPER.readTree(lines.get(i));
            assertEquals(labels[i], line.get("label").asText());
            assertTrue(line.get("prompt").asText().contains("<|im_start|>user\n"), line.toString());
            assertTrue(line.has("predict"), line.toString());
        }
        JsonNode metrics = Json.MAPPER.readTree(out.resolve("predict_results.json").toFile());
        assertEquals(metrics.get("predict_rouge-l").asDouble(), done.get("result").get("predict_rouge-l").asDouble(), 1e-12);
        assertEquals(out.toRealPath().resolve(PredictWorkflow.PREDICTIONS_FILE).toString(), done.get("result").get("predictions").asText());
    }

    private static String exportValues(String adapter, String exportDir) {
        return "{\"values\": {\"model_name_or_path\": \"tiny\", \"adapter_name_or_path\": \"" + adapter + "\", \"template\": \"qwen\","
                + " \"export_dir\": \"" + exportDir + "\"}}";
    }

    private static String predictValues(String adapter) {
        return "{\"values\": {\"model_name_or_path\": \"tiny\", \"adapter_name_or_path\": \"" + adapter + "\", \"template\": \"qwen\","
                + " \"dataset_dir\": \"data\", \"eval_dataset\": \"demo\", \"max_new_tokens\": \"6\", \"output_dir\": \"saves/predict\"}}";
    }

    /** Waits for the current job to end and returns what the page is then told about it. */
    private static JsonNode finished() throws Exception {
        server.api().job().join(60_000);
        return Json.MAPPER.readTree(HTTP.send(request("/api/jobs/current").GET().build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static JsonNode post(String path, String body, int status) throws Exception {
        HttpResponse<String> r = HTTP.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header(WebUiServer.TOKEN_HEADER, server.token()); // the token made for this start
    }
}
