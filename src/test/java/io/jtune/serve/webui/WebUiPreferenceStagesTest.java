package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.TinyChatModels;
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
 * The Train tab's reward and KTO stages through the web UI's API, on a tiny qwen2 model and the
 * demo sets of data/: each trains with its own keys, and the job the page polls carries the
 * stage's metric curve (rm: accuracy, kto: rewards/chosen) beside the loss. (dpo: WebUiBrowserTest.)
 * The Evaluate tab evaluates and predicts as the stage does: rm's accuracy and pair scores, dpo's and
 * kto's rewards metrics, datasets that fit the stage, and no prediction for stages that have none.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebUiPreferenceStagesTest {
    static final Path DATA = Path.of("data").toAbsolutePath();
    @TempDir static Path work;
    static WebUiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Files.move(TinyChatModels.write(work.resolve("build")), work.resolve("tiny"));
        server = WebUiServer.start(new WebUiSettings("127.0.0.1", 0, null, work, List.of(DATA)));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void aRewardModelChartsItsAccuracy() throws Exception {
        JsonNode job = train("rm", "dpo_en_demo", "");
        assertEquals("accuracy", job.get("metric_curve").get("name").asText(), job.toString());
        assertEquals(3, job.get("metric_curve").get("train").size(), "one point per logged step: " + job.get("metric_curve"));
        assertTrue(Files.isRegularFile(work.resolve("saves/rm/value_head.safetensors")));

        // the Evaluate tab follows the stage (issue #13): the reward model is evaluated on pairs, and predicts their scores
        JsonNode eval = run("evaluate", "rm", "dpo_en_demo", "saves/rm", "saves/rm-eval");
        assertTrue(eval.get("result").has("eval_accuracy") && eval.get("result").has("eval_loss"), eval.get("result").toString());
        JsonNode predict = run("predict", "rm", "dpo_en_demo", "saves/rm", "saves/rm-predict");
        assertTrue(predict.get("result").has("predict_accuracy"), predict.get("result").toString());
        assertEquals(false, predict.get("abortable").asBoolean(), "scoring the pairs is one pass");
        List<String> lines = Files.readAllLines(work.resolve("saves/rm-predict/generated_predictions.jsonl"));
        assertEquals(4, lines.size());
        assertTrue(lines.get(0).matches("\\{\"chosen\": -?[0-9.]+, \"rejected\": -?[0-9.]+}"), lines.get(0));
        assertTrue(predict.get("result").get("predictions").asText().endsWith("saves/rm-predict/generated_predictions.jsonl"),
                predict.get("result").toString());
    }

    @Test
    void evaluationFollowsTheStage() throws Exception {
        JsonNode dpo = run("evaluate", "dpo", "dpo_en_demo", "", "saves/dpo-eval");
        for (String metric : List.of("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_logps/chosen")) {
            assertTrue(dpo.get("result").has(metric), metric + " in " + dpo.get("result"));
        }
        assertTrue(dpo.get("yaml").asText().contains("stage: dpo"), dpo.get("yaml").asText());
        JsonNode kto = run("evaluate", "kto", "kto_en_demo", "", "saves/kto-eval");
        assertTrue(kto.get("result").has("eval_rewards/chosen") && kto.get("result").has("eval_kl"), kto.get("result").toString());

        // datasets by stage, and prediction only where the stage predicts
        assertTrue(refused("evaluate", "dpo", "support_shop").get("eval_dataset").asText().contains("does not fit stage dpo"));
        assertTrue(refused("evaluate", "sft", "dpo_en_demo").get("eval_dataset").asText().contains("does not fit stage sft"));
        assertTrue(refused("predict", "dpo", "dpo_en_demo").get("stage").asText().startsWith("stage dpo does not predict"));
        assertTrue(refused("predict", "kto", "kto_en_demo").get("stage").asText().startsWith("stage kto does not predict"));
    }

    /** Runs an evaluate or predict job of a stage on four records and returns the finished job as the page sees it. */
    private static JsonNode run(String form, String stage, String dataset, String adapter, String output) throws Exception {
        HttpResponse<String> r = HTTP.send(request("/api/jobs").POST(HttpRequest.BodyPublishers.ofString(
                evaluation(form, stage, dataset, adapter, output))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return finished();
    }

    private static JsonNode refused(String form, String stage, String dataset) throws Exception {
        HttpResponse<String> r = HTTP.send(request("/api/jobs").POST(HttpRequest.BodyPublishers.ofString(
                evaluation(form, stage, dataset, "", "saves/refused"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body()).get("errors");
    }

    private static String evaluation(String form, String stage, String dataset, String adapter, String output) {
        return "{\"form\": \"" + form + "\", \"values\": {\"model_name_or_path\": \"tiny\", \"template\": \"qwen\","
                + (adapter.isEmpty() ? "" : " \"adapter_name_or_path\": \"" + adapter + "\",")
                + " \"stage\": \"" + stage + "\", \"dataset_dir\": \"" + DATA + "\", \"eval_dataset\": \"" + dataset + "\","
                + " \"cutoff_len\": \"64\", \"max_samples\": \"4\", \"output_dir\": \"" + output + "\"}}";
    }

    @Test
    void ktoChartsTheChosenRewardWithItsOwnWeights() throws Exception {
        JsonNode job = train("kto", "kto_en_demo", ", \"pref_beta\": \"0.2\", \"kto_rejected_weight\": \"1.5\"");
        assertEquals("rewards/chosen", job.get("metric_curve").get("name").asText(), job.toString());
        assertTrue(job.get("metric_curve").get("train").size() >= 1, job.get("metric_curve").toString());
        assertTrue(job.get("yaml").asText().contains("kto_rejected_weight: 1.5"), job.get("yaml").asText());
    }

    /** Trains a stage for three steps from the Train form's values and returns the finished job as the page sees it. */
    private static JsonNode train(String stage, String dataset, String extra) throws Exception {
        String body = "{\"form\": \"train\", \"values\": {\"model_name_or_path\": \"tiny\", \"template\": \"qwen\", \"stage\": \"" + stage + "\","
                + " \"dataset_dir\": \"" + DATA + "\", \"dataset\": \"" + dataset + "\", \"cutoff_len\": \"64\", \"max_samples\": \"8\","
                + " \"max_steps\": \"3\", \"per_device_train_batch_size\": \"2\", \"logging_steps\": \"1\", \"lora_rank\": \"2\","
                + " \"output_dir\": \"saves/" + stage + "\"" + extra + "}}";
        HttpResponse<String> r = HTTP.send(request("/api/jobs").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return finished();
    }

    /** The job once it ended, as the page sees it; it must have finished. */
    private static JsonNode finished() throws Exception {
        server.api().job().join(90_000);
        JsonNode job = Json.MAPPER.readTree(HTTP.send(request("/api/jobs/current").GET().build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("finished", job.get("state").asText(), job.path("error").asText() + "\n" + job.get("log"));
        return job;
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header(WebUiServer.TOKEN_HEADER, server.token());
    }
}
