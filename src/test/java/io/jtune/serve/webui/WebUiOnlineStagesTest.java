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
 * The Train tab's online stages through the web UI's API on a tiny qwen2 model: grpo with a format
 * reward and ppo with a reward model the same tab trained (stage rm), each from its own keys and its
 * rollouts' sampling; the job the page polls charts the reward and the KL; the Evaluate tab scores the
 * completions of held-out prompts for both (eval_reward).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebUiOnlineStagesTest {
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
    void grpoChartsTheRewardAndTheKl() throws Exception {
        JsonNode job = train("grpo", "alpaca_en_demo", ", \"reward_funcs\": \"format\", \"reward_format_pattern\": \"^\\\\\\\\s*[a-z]\","
                + " \"num_generations\": \"2\", \"max_completion_length\": \"4\", \"beta\": \"0.1\", \"temperature\": \"1.0\"");
        JsonNode curves = job.get("metric_curves");
        assertEquals("reward", curves.get(0).get("name").asText(), job.toString());
        assertEquals(3, curves.get(0).get("train").size(), curves.toString());
        assertEquals("kl", curves.get(1).get("name").asText());
        assertEquals(3, curves.get(1).get("train").size(), "beta > 0 logs kl: " + curves);
        String yaml = job.get("yaml").asText();
        assertTrue(yaml.contains("stage: grpo") && yaml.contains("reward_funcs:") && yaml.contains("num_generations: 2"), yaml);

        JsonNode eval = evaluate("grpo", ", \"reward_funcs\": \"format\", \"reward_format_pattern\": \"^[a-z]\", \"num_generations\": \"2\","
                + " \"max_completion_length\": \"4\"");
        assertTrue(eval.get("result").has("eval_reward") && eval.get("result").has("eval_rewards/format/mean"), eval.get("result").toString());
    }

    @Test
    void ppoTrainsOnTheRewardModelTheTabTrained() throws Exception {
        train("rm", "dpo_en_demo", "");
        assertTrue(Files.isRegularFile(work.resolve("saves/rm/value_head.safetensors")));
        JsonNode job = train("ppo", "alpaca_en_demo", ", \"reward_model\": \"" + work.resolve("saves/rm") + "\", \"ppo_epochs\": \"1\","
                + " \"max_new_tokens\": \"4\", \"temperature\": \"1.0\"");
        JsonNode curves = job.get("metric_curves");
        assertEquals("reward", curves.get(0).get("name").asText(), job.toString());
        assertEquals(3, curves.get(0).get("train").size(), curves.toString());
        assertEquals("kl", curves.get(1).get("name").asText());
        assertTrue(Files.isRegularFile(work.resolve("saves/ppo/value_head.safetensors")));
        assertTrue(job.get("metrics").has("ppo/loss/value"), job.get("metrics").toString());

        JsonNode eval = evaluate("ppo", ", \"reward_model\": \"" + work.resolve("saves/rm") + "\", \"max_new_tokens\": \"4\"");
        assertTrue(eval.get("result").has("eval_reward") && eval.get("result").has("eval_kl"), eval.get("result").toString());
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

    /** Evaluates the tiny model as a stage on four identity prompts. */
    private static JsonNode evaluate(String stage, String extra) throws Exception {
        String body = "{\"form\": \"evaluate\", \"values\": {\"model_name_or_path\": \"tiny\", \"template\": \"qwen\", \"stage\": \"" + stage
                + "\", \"dataset_dir\": \"" + DATA + "\", \"eval_dataset\": \"identity\", \"cutoff_len\": \"64\", \"max_samples\": \"4\","
                + " \"output_dir\": \"saves/" + stage + "-eval\"" + extra + "}}";
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
