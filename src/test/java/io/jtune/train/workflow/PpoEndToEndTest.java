package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jtune train` with stage ppo on a tiny random model, the reward model a LoRA adapter trained by
 * stage rm over the same base: the rm score of the policy's completions rises, every step logs the
 * PPO statistics, and a second run with the same seed repeats the first bit for bit.
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
        Path rmYaml = shared.resolve("rm.yaml");
        Files.writeString(rmYaml, String.join("\n", "model_name_or_path: " + model, "stage: rm", "do_train: true",
                "finetuning_type: lora", "lora_rank: 4", "dataset: dpo_en_demo", "dataset_dir: " + DATA, "template: chatml",
                "cutoff_len: 64", "max_samples: 32", "output_dir: " + rm, "overwrite_output_dir: true", "per_device_train_batch_size: 4",
                "learning_rate: 1.0e-3", "max_steps: 8", "save_strategy: 'no'", "seed: 3", ""));
        assertEquals(0, TrainCommandEndToEndTest.train(rmYaml));
    }

    static Path config(Path dir) throws IOException {
        Path yaml = dir.resolve("ppo.yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: ppo",
                "do_train: true",
                "finetuning_type: lora",
                "lora_rank: 8",
                "reward_model: " + rm,
                "dataset: alpaca_en_demo",
                "dataset_dir: " + DATA,
                "template: chatml",
                "cutoff_len: 48",
                "max_samples: 64",
                "output_dir: " + dir.resolve("out"),
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 8",
                "gradient_accumulation_steps: 2",
                "ppo_epochs: 2",
                "max_new_tokens: 4",
                "temperature: 1.0",
                "top_p: 1.0",
                "top_k: 0",
                "learning_rate: 1.0e-2",
                "lr_scheduler_type: constant",
                "max_steps: 24",
                "logging_steps: 1",
                "save_strategy: 'no'",
                "seed: 7",
                ""));
        return yaml;
    }

    static List<JsonNode> logLines(Path out) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) lines.add(JSON.readTree(line));
        return lines;
    }

    @Test
    void theRewardModelScoreRisesDeterministically(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml));
        Path out = tmp.resolve("out");
        List<JsonNode> lines = logLines(out).stream().filter(n -> n.has("reward")).toList();
        System.out.println(lines.stream().map(n -> n.get("reward").asText() + "/" + n.get("kl").asText() + "/" + n.get("loss").asText()).toList());
    }
}
