package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.config.ConfigLoader;
import io.jtune.infer.TinyChatModels;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.serve.ApiSettings;
import io.jtune.train.workflow.PreferencePairs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reward model from `jtune train` (stage rm) to its uses: do_predict's generated_predictions.jsonl
 * and predict_results.json (after training and in a prediction-only run), and `jtune api` serving it at
 * POST /v1/score/evaluation as LLaMA-Factory does.
 */
@Timeout(300)
class RewardModelServingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static int train(Path yaml, String... overrides) {
        List<String> args = new ArrayList<>(List.of("train", yaml.toString()));
        args.addAll(List.of(overrides));
        PrintStream old = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        try {
            return Main.newCommandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(old);
        }
    }

    /** chatml as the rm processor renders a pair's side: the prompt, then the answer with its end-of-turn. */
    static String rendered(String question, String answer) {
        return "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n" + answer + "<|im_end|>\n";
    }

    @Test
    void predictionsAndTheScoreEndpointAgree(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        Path data = PreferencePairs.write(tmp.resolve("data"), 2, 7);
        Path out = tmp.resolve("rm");
        Path yaml = tmp.resolve("rm.yaml");
        Files.writeString(yaml, String.join("\n", "model_name_or_path: " + model, "stage: rm", "do_train: true", "do_predict: true",
                "finetuning_type: lora", "lora_rank: 4", "dataset: pairs_train", "eval_dataset: pairs_eval", "dataset_dir: " + data,
                "template: chatml", "cutoff_len: 256", "output_dir: " + out, "per_device_train_batch_size: 4", // no pair is cut: the endpoint scores whole texts
                "per_device_eval_batch_size: 8", "learning_rate: 1.0e-2", "num_train_epochs: 1", "logging_steps: 2", ""));
        assertEquals(0, train(yaml));

        // one {"chosen", "rejected"} line per held-out pair, scores rounded to 2 decimals, as LLaMA-Factory writes them
        List<String> lines = Files.readAllLines(out.resolve("generated_predictions.jsonl"));
        assertEquals(16, lines.size());
        assertTrue(lines.getFirst().matches("\\{\"chosen\": -?\\d+\\.\\d{1,2}, \"rejected\": -?\\d+\\.\\d{1,2}}"), lines.getFirst());
        int correct = 0;
        for (String l : lines) {
            JsonNode n = JSON.readTree(l);
            if (n.get("chosen").asDouble() > n.get("rejected").asDouble()) correct++;
        }
        JsonNode results = JSON.readTree(out.resolve("predict_results.json").toFile());
        for (String k : List.of("predict_loss", "predict_accuracy", "predict_runtime", "predict_samples_per_second", "predict_steps_per_second")) {
            assertTrue(results.has(k), k + " missing from " + results);
        }
        assertEquals(correct / 16.0, results.get("predict_accuracy").asDouble(), 1.0 / 16 + 1e-9, "ties at 2 decimals aside");
        assertTrue(results.get("predict_accuracy").asDouble() >= 0.9, "the trained reward model ranks held-out pairs: " + results);

        // prediction only, from the saved adapter and value head: the same scores
        Path again = tmp.resolve("again");
        assertEquals(0, train(yaml, "do_train=false", "adapter_name_or_path=" + out, "output_dir=" + again));
        assertEquals(lines, Files.readAllLines(again.resolve("generated_predictions.jsonl")));

        // jtune api with the reward model: POST /v1/score/evaluation scores texts as the predictions did
        JsonNode firstPair = JSON.readTree(data.resolve("pairs_eval.json").toFile()).get(0);
        JsonNode firstScores = JSON.readTree(lines.getFirst());
        var cfg = ConfigLoader.load(yaml, List.of("do_train=false", "do_predict=false", "adapter_name_or_path=" + out));
        try (ApiCommand.Running api = ApiCommand.start(cfg, ApiSettings.defaults().withPort(0).withApiKey("sk-test"))) {
            HttpClient http = HttpClient.newHttpClient();
            String q = firstPair.get("instruction").asText();
            String body = JSON.writeValueAsString(java.util.Map.of("model", "my-rm", "messages",
                    List.of(rendered(q, firstPair.get("chosen").asText()), rendered(q, firstPair.get("rejected").asText()))));
            HttpResponse<String> r = http.send(post(api, "/score/evaluation", body), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode reply = JSON.readTree(r.body());
            assertTrue(reply.get("id").asText().startsWith("scoreval-"), r.body());
            assertEquals("score.evaluation", reply.get("object").asText());
            assertEquals("my-rm", reply.get("model").asText(), "the model as the request named it");
            assertEquals(2, reply.get("scores").size());
            assertEquals(firstScores.get("chosen").asDouble(), reply.get("scores").get(0).asDouble(), 0.005 + 1e-9);
            assertEquals(firstScores.get("rejected").asDouble(), reply.get("scores").get(1).asDouble(), 0.005 + 1e-9);

            HttpResponse<String> empty = http.send(post(api, "/score/evaluation", "{\"model\": \"m\", \"messages\": []}"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, empty.statusCode(), empty.body());
            HttpResponse<String> truncated = http.send(post(api, "/score/evaluation",
                    "{\"model\": \"m\", \"messages\": [\"a b c d e f\"], \"max_length\": 0}"), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, truncated.statusCode(), truncated.body());
            assertTrue(truncated.body().contains("max_length"), truncated.body());
            HttpResponse<String> chat = http.send(post(api, "/chat/completions",
                    "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, chat.statusCode(), "a reward model does not generate: " + chat.body());
            HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(URI.create(api.server().baseUrl() + "/score/evaluation"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, noKey.statusCode());
        }
    }

    @Test
    void aGeneratingModelRefusesScoreRequests(@TempDir Path tmp) throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        try (ApiCommand.Running api = ApiCommand.start(TinyChatModels.config(modelDir), ApiSettings.defaults().withPort(0).withApiKey("sk-test"))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(post(api, "/score/evaluation", "{\"model\": \"m\", \"messages\": [\"hi\"]}"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, r.statusCode(), r.body());
            assertTrue(r.body().contains("needs a reward model"), r.body());
        }
    }

    private static HttpRequest post(ApiCommand.Running api, String path, String body) {
        return HttpRequest.newBuilder(URI.create(api.server().baseUrl() + path))
                .header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
