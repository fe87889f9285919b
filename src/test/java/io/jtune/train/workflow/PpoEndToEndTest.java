package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jtune train` with stage ppo on a tiny random model (the quickstart's kind), the reward model a LoRA
 * adapter trained by stage rm over the same base: the rm score of the policy's completions rises, every
 * step logs the PPO statistics under TRL's names, the adaptive KL coefficient moves, and a second run with
 * the same seed repeats the first bit for bit. Also reward_model_type full (a separate rm model) and api (a
 * scoring server on loopback), and the config checks.
 */
@Timeout(300)
class PpoEndToEndTest {
    @TempDir static Path shared;
    static Path model, rm;
    static final Path DATA = Path.of("data").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModelAndRewardModel() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        rm = shared.resolve("rm");
        assertEquals(0, TrainCommandEndToEndTest.train(rmConfig(shared, rm, "lora")));
        assertTrue(Files.exists(rm.resolve("value_head.safetensors")));
    }

    /** Stage rm on dpo_en_demo's pairs. */
    static Path rmConfig(Path dir, Path out, String finetuningType) throws IOException {
        Path yaml = dir.resolve("rm-" + finetuningType + ".yaml");
        Files.writeString(yaml, String.join("\n", "model_name_or_path: " + model, "stage: rm", "do_train: true",
                "finetuning_type: " + finetuningType, "lora_rank: 4", "dataset: dpo_en_demo", "dataset_dir: " + DATA, "template: chatml",
                "cutoff_len: 64", "max_samples: 32", "output_dir: " + out, "overwrite_output_dir: true", "per_device_train_batch_size: 4",
                "learning_rate: 1.0e-3", "max_steps: 8", "save_strategy: 'no'", "seed: 3", ""));
        return yaml;
    }

    /**
     * 16 prompts a rollout batch (one micro-batch), 4 PPO epochs: 4 optimizer steps per rollout batch. The
     * tiny random model's policy moves through its output layer, so the LoRA run also trains lm_head fully
     * (additional_target); the rm reads hidden states only.
     */
    static Path config(Path dir) throws IOException {
        Path yaml = dir.resolve("ppo.yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: ppo",
                "do_train: true",
                "finetuning_type: lora",
                "lora_rank: 8",
                "additional_target: lm_head",
                "reward_model: " + rm,
                "dataset: alpaca_en_demo",
                "dataset_dir: " + DATA,
                "template: chatml",
                "cutoff_len: 128",
                "max_samples: 128",
                "output_dir: " + dir.resolve("out"),
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 16",
                "gradient_accumulation_steps: 1",
                "ppo_epochs: 4",
                "init_kl_coef: 0.05",
                "max_new_tokens: 4",
                "temperature: 1.0",
                "top_p: 1.0",
                "top_k: 0",
                "learning_rate: 2.0e-2",
                "lr_scheduler_type: constant",
                "max_steps: 64",
                "logging_steps: 1",
                "save_strategy: 'no'",
                "seed: 7",
                ""));
        return yaml;
    }

    static List<JsonNode> logLines(Path out) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("reward")) lines.add(n);
        }
        return lines;
    }

    /** The mean of the logged reward over rollout batches [from, to), each logged at its ppo_epochs optimizer steps. */
    static double meanReward(List<JsonNode> lines, int from, int to) {
        double sum = 0;
        for (int r = from; r < to; r++) sum += lines.get(r * 4).get("reward").asDouble();
        return sum / (to - from);
    }

    @Test
    void theRewardModelScoreRisesDeterministically(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        // the held-out reward of the starting policy: do_eval alone scores the completions of the identity prompts
        String[] heldOut = {"do_eval=true", "eval_dataset=identity", "per_device_eval_batch_size=16"};
        Path start = tmp.resolve("start");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, concat(heldOut, "do_train=false", "output_dir=" + start)));
        JsonNode startEval = JSON.readTree(start.resolve("eval_results.json").toFile());
        for (String key : List.of("eval_loss", "eval_reward", "eval_kl", "eval_objective/kl", "eval_ppo/loss/value", "eval_runtime")) {
            assertTrue(startEval.has(key), key + " missing from " + startEval);
        }
        assertEquals(0.0, startEval.get("eval_kl").asDouble(), 0.0, "the starting policy is the reference");

        assertEquals(0, TrainCommandEndToEndTest.train(yaml, concat(heldOut, "eval_strategy=steps", "eval_steps=32")));
        Path out = tmp.resolve("out");
        List<JsonNode> lines = logLines(out);
        assertEquals(64, lines.size());
        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("eval_reward")) evals.add(n);
        }
        assertEquals(2, evals.size(), "evaluations at steps 32 and 64: " + evals);
        JsonNode endEval = JSON.readTree(out.resolve("eval_results.json").toFile());
        double heldOutBefore = startEval.get("eval_reward").asDouble(), heldOutAfter = endEval.get("eval_reward").asDouble();
        System.out.printf("ppo e2e: held-out rm score (20 identity prompts) before %.4f, after 64 steps %.4f%n", heldOutBefore, heldOutAfter);
        assertTrue(heldOutAfter > heldOutBefore + 0.2, "the held-out rm score rises: " + heldOutBefore + " -> " + heldOutAfter);
        for (String key : List.of("loss", "reward", "kl", "ppo/loss/policy", "ppo/loss/value", "ppo/loss/total", "ppo/policy/clipfrac",
                "ppo/policy/approxkl", "ppo/policy/policykl", "ppo/policy/advantages_mean", "ppo/val/clipfrac", "ppo/val/vpred",
                "ppo/val/error", "ppo/returns/mean", "objective/kl", "objective/kl_coef", "objective/entropy", "ppo/mean_scores",
                "ppo/std_scores", "ppo/mean_non_score_reward", "tokens/responses_len_mean", "generation_time", "training_time")) {
            assertTrue(lines.getFirst().has(key), key + " missing from " + lines.getFirst());
        }
        // one rollout batch trains ppo_epochs optimizer steps: its reward is logged at each; the first pass starts at ratio 1
        assertEquals(lines.get(0).get("reward").asDouble(), lines.get(3).get("reward").asDouble(), 0.0);
        assertEquals(0.0, lines.get(0).get("ppo/policy/clipfrac").asDouble(), 0.0, "no update yet: the ratio is 1");
        assertEquals(0.0, lines.get(0).get("kl").asDouble(), 0.0, "the first policy is the reference (LoRA B = 0)");
        assertEquals(lines.get(0).get("loss").asDouble(), lines.get(0).get("ppo/loss/total").asDouble(), 1e-4);
        // the KL is far below ppo_target 6, so the adaptive coefficient shrinks: × (1 − 0.2·16/10000) per rollout batch
        assertEquals(0.05, lines.get(0).get("objective/kl_coef").asDouble(), 1e-12);
        assertEquals(0.05 * (1 - 0.2 * 16 / 10000.0), lines.get(4).get("objective/kl_coef").asDouble(), 1e-7);

        double before = meanReward(lines, 0, 4), after = meanReward(lines, 12, 16);
        System.out.printf("ppo e2e: mean rm score of rollout batches 1-4 %.4f, 13-16 %.4f%n", before, after);
        assertTrue(after > before + 0.2, "the rm score rises: rollout batches 1-4 " + before + ", 13-16 " + after);
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
        assertTrue(Files.exists(out.resolve("value_head.safetensors")), "the policy's value head is saved beside it, as LLaMA-Factory does");
        assertEquals(16 * 4, Files.readAllLines(out.resolve("completions.jsonl")).size(), "4 sampled completions per rollout batch");

        Path again = tmp.resolve("again");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, concat(heldOut, "eval_strategy=steps", "eval_steps=32", "output_dir=" + again)));
        List<JsonNode> repeated = logLines(again);
        for (int i = 0; i < lines.size(); i++) {
            for (String key : List.of("loss", "reward", "kl", "ppo/loss/value")) {
                assertEquals(lines.get(i).get(key).asDouble(), repeated.get(i).get(key).asDouble(), 0.0, "step " + (i + 1) + " " + key);
            }
        }
    }

    static String[] concat(String[] a, String... b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    /**
     * At a sampling temperature other than 1 the rollout's, the reference's and the policy's log-probabilities
     * are all of the logits divided by it (as TRL's PPOTrainer): at the first optimizer step the policy is the
     * reference (LoRA B = 0) and the rollout's policy, so the KL is 0 and no ratio is clipped, which would not
     * hold if one of the passes left the logits undivided.
     */
    @Test
    void atATemperatureTheRolloutReferenceAndPolicyPassesAgree(@TempDir Path tmp) throws IOException {
        assertEquals(0, TrainCommandEndToEndTest.train(config(tmp), "temperature=0.7", "max_steps=4"));
        List<JsonNode> lines = logLines(tmp.resolve("out"));
        assertEquals(4, lines.size());
        assertEquals(0.0, lines.getFirst().get("kl").asDouble(), 0.0, "rollout and reference at the same temperature: " + lines.getFirst());
        assertEquals(0.0, lines.getFirst().get("ppo/policy/clipfrac").asDouble(), 0.0, "rollout and policy at the same temperature");
        assertEquals(0.0, lines.getFirst().get("ppo/policy/approxkl").asDouble(), 1e-12, "the ratio is 1 before the first update");
    }

    /** reward_model_type full: an rm written by stage rm with full tuning, opened beside a fully tuned policy. */
    @Test
    void aFullRewardModelScoresBesideAFullPolicy(@TempDir Path tmp) throws IOException {
        Path fullRm = tmp.resolve("rm-full");
        assertEquals(0, TrainCommandEndToEndTest.train(rmConfig(tmp, fullRm, "full")));
        assertEquals(0, TrainCommandEndToEndTest.train(config(tmp), "finetuning_type=full", "additional_target=null",
                "reward_model_type=full", "reward_model=" + fullRm, "max_steps=8"));
        Path out = tmp.resolve("out");
        List<JsonNode> lines = logLines(out);
        assertEquals(8, lines.size());
        assertTrue(lines.getFirst().get("reward").asDouble() != 0, "the full rm's value head scored: " + lines.getFirst());
        assertTrue(Files.exists(out.resolve("model.safetensors")) && Files.exists(out.resolve("value_head.safetensors")));
    }

    /**
     * reward_model_type api: a scoring server on loopback gets {"model": "model", "messages": [prompt and reply decoded
     * together, special tokens kept]} and answers {"scores": [...]}, as LLaMA-Factory's api reward model.
     */
    @Test
    void anApiRewardModelScoresOverHttp(@TempDir Path tmp) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
        server.createContext("/score", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            requests.add(request);
            List<Double> scores = new ArrayList<>();
            for (JsonNode m : request.get("messages")) {
                String text = m.asText(), header = "<|im_start|>assistant\n";
                String reply = text.substring(text.lastIndexOf(header) + header.length());
                scores.add(reply.matches("(?s)^\\s*[a-z].*") ? 1.0 : 0.0);   // 1 when the reply starts with a lowercase letter
            }
            byte[] body = JSON.writeValueAsBytes(Map.of("scores", scores));
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/score";
            assertEquals(0, TrainCommandEndToEndTest.train(config(tmp), "reward_model_type=api", "reward_model=" + url, "max_steps=8"));
            assertEquals(2, requests.size(), "one request per rollout batch");
            JsonNode first = requests.getFirst();
            assertEquals("model", first.get("model").asText());
            assertEquals(16, first.get("messages").size());
            assertTrue(first.get("messages").get(0).asText().startsWith("<|im_start|>user\n"), first.toString());
            List<JsonNode> lines = logLines(tmp.resolve("out"));
            double share = 0;
            for (JsonNode s : JSON.readTree(JSON.writeValueAsString(first.get("messages")))) {
                String text = s.asText();
                share += text.substring(text.lastIndexOf("<|im_start|>assistant\n") + 22).matches("(?s)^\\s*[a-z].*") ? 1.0 / 16 : 0;
            }
            assertEquals(share, lines.getFirst().get("reward").asDouble(), 1e-4, "the logged reward is the mean of the server's scores");
        } finally {
            server.stop(0);
        }
    }

    /** examples/train_ppo: valid configs of stage ppo with an rm adapter. */
    @Test
    void theExampleConfigsLoad() {
        for (String name : List.of("quickstart_lora_ppo.yaml", "qwen2.5-0.5b_lora_ppo.yaml")) {
            io.jtune.config.JtuneConfig config = ConfigLoader.load(Path.of("examples/train_ppo", name), List.of());
            Stages.forName("ppo").checkConfig(config);
            assertEquals("lora", config.ppo().rewardModelType(), name);
            assertTrue(config.training().doEval(), name + " evaluates the held-out reward");
        }
    }

    @Test
    void configChecksNameTheKeyToChange(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        StageWorkflow ppo = Stages.forName("ppo");
        assertEquals("reward_model: stage ppo needs a reward model (an rm adapter or model written by stage rm, or a scoring server's URL"
                + " with reward_model_type: api)", assertThrows(JtuneException.class,
                () -> ppo.checkConfig(ConfigLoader.load(yaml, List.of("reward_model=null")))).getMessage());
        assertTrue(assertThrows(JtuneException.class, () -> ppo.checkConfig(ConfigLoader.load(yaml, List.of("finetuning_type=full",
                "additional_target=null")))).getMessage().startsWith("reward_model_type: lora cannot be used with finetuning_type full"));
        assertTrue(assertThrows(JtuneException.class, () -> ppo.checkConfig(ConfigLoader.load(yaml, List.of("reward_model_type=api"))))
                .getMessage().startsWith("reward_model: reward_model_type api needs the scoring server's full URL"));
        assertTrue(TrainCommandEndToEndTest.train(yaml, "reward_model=" + model, "max_steps=1") != 0, "the base model is no rm adapter");
    }
}
