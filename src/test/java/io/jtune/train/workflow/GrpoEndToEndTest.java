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
 * `jtune train` with stage grpo on a tiny random model: a verifiable format reward (the completion
 * starts with a vowel) rises, every step logs TRL's GRPO metrics and its generation and training
 * time, completions.jsonl holds sampled completions, and a second run with the same seed repeats
 * the first bit for bit.
 */
@Timeout(300)
class GrpoEndToEndTest {
    @TempDir static Path shared;
    static Path model;
    static final Path DATA = Path.of("data").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModel() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
    }

    static Path config(Path dir) throws IOException {
        Path yaml = dir.resolve("grpo.yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: grpo",
                "do_train: true",
                "finetuning_type: full",
                "lora_rank: 8",
                "dataset: alpaca_en_demo",
                "dataset_dir: " + DATA,
                "template: chatml",
                "cutoff_len: 48",
                "max_samples: 64",
                "output_dir: " + dir.resolve("out"),
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 16",
                "gradient_accumulation_steps: 1",
                "num_generations: 8",
                "max_completion_length: 4",
                "temperature: 1.0",
                "top_p: 1.0",
                "top_k: 0",
                "learning_rate: 1.0e-2",
                "lr_scheduler_type: constant",
                "max_steps: 24",
                "logging_steps: 1",
                "save_strategy: 'no'",
                "seed: 7",
                "reward_funcs: [format]",
                "reward_format_pattern: '^\\s*[a-z]'",
                ""));
        return yaml;
    }

    static List<JsonNode> logLines(Path out) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) lines.add(JSON.readTree(line));
        return lines;
    }

    /** examples/train_grpo: valid configs; the arithmetic example's rewards give the dataset's own answers full marks. */
    @Test
    void theExampleConfigsLoadAndTheirRewardsAcceptTheReferenceAnswers() throws IOException {
        for (String name : List.of("quickstart_lora_grpo.yaml", "qwen2.5-0.5b_lora_grpo.yaml")) {
            io.jtune.config.JtuneConfig config = io.jtune.config.ConfigLoader.load(Path.of("examples/train_grpo", name), List.of());
            Stages.forName("grpo").checkConfig(config);
        }
        io.jtune.config.JtuneConfig config = io.jtune.config.ConfigLoader.load(Path.of("examples/train_grpo/qwen2.5-0.5b_lora_grpo.yaml"),
                List.of());
        io.jtune.train.reward.RewardFunctions rewards = io.jtune.train.reward.RewardFunctions.resolve(config.grpo(), java.util.Map.of(),
                () -> null, java.util.Set.of());
        List<io.jtune.train.reward.RewardFunction.Sample> samples = new ArrayList<>();
        for (JsonNode row : JSON.readTree(DATA.resolve("grpo_arithmetic.json").toFile())) {
            String answer = row.get("output").asText();
            samples.add(new io.jtune.train.reward.RewardFunction.Sample("", "Step by step: " + answer, answer, new int[0], new int[0]));
            samples.add(new io.jtune.train.reward.RewardFunction.Sample("", "The answer is 99999", answer, new int[0], new int[0]));
        }
        double[] total = rewards.score(samples).total();
        for (int i = 0; i < total.length; i += 2) {
            assertEquals(1.2, total[i], 1e-12, "reference answer " + samples.get(i).answer());
            assertEquals(0.0, total[i + 1], 1e-12, "a wrong answer without the format");
        }
    }

    /** A reward model trained with stage rm scores the completions: its LoRA adapter over the policy's own base. */
    @Test
    void aStageRmAdapterScoresTheCompletions(@TempDir Path tmp) throws IOException {
        Path rmYaml = tmp.resolve("rm.yaml");
        Path rm = tmp.resolve("rm");
        Files.writeString(rmYaml, String.join("\n", "model_name_or_path: " + model, "stage: rm", "do_train: true",
                "finetuning_type: lora", "lora_rank: 4", "dataset: dpo_en_demo", "dataset_dir: " + DATA, "template: chatml",
                "cutoff_len: 64", "output_dir: " + rm, "overwrite_output_dir: true", "per_device_train_batch_size: 2",
                "max_steps: 2", "save_strategy: 'no'", ""));
        assertEquals(0, TrainCommandEndToEndTest.train(rmYaml));
        assertTrue(Files.exists(rm.resolve("value_head.safetensors")));
        Path yaml = config(tmp);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "finetuning_type=lora", "max_steps=2", "reward_funcs=" + rm + ",length",
                "reward_weights=1,0.5"));
        JsonNode first = logLines(tmp.resolve("out")).getFirst();
        assertTrue(first.has("rewards/rm/mean") && first.has("rewards/length/mean"), first.toString());
        assertEquals(first.get("rewards/rm/mean").asDouble() + 0.5 * first.get("rewards/length/mean").asDouble(),
                first.get("reward").asDouble(), 1e-3, "the weighted sum (logged to 4 digits)");
        assertTrue(first.get("rewards/rm/mean").asDouble() != 0, "the value head scored: " + first);
    }

    /** LoRA with the KL term (the reference is the base, adapter off) and two optimizer steps per rollout batch. */
    @Test
    void loraWithKlAndSeveralIterationsLogsKl(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "finetuning_type=lora", "beta=0.1", "num_iterations=2", "max_steps=4",
                "loss_type=grpo", "scale_rewards=batch", "epsilon_high=0.28"));
        Path out = tmp.resolve("out");
        List<JsonNode> lines = logLines(out).stream().filter(n -> n.has("reward")).toList();
        assertEquals(4, lines.size());
        assertEquals(0.0, lines.getFirst().get("kl").asDouble(), 0.0, "the first step's policy is the reference (LoRA B = 0)");
        assertTrue(lines.get(1).get("kl").asDouble() > 0, "the second step trains on the same rollouts after an update: " + lines.get(1));
        assertEquals(lines.get(0).get("reward").asDouble(), lines.get(1).get("reward").asDouble(), 0.0, "same rollouts, same reward");
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
        assertEquals(2 * 4, Files.readAllLines(out.resolve("completions.jsonl")).size(), "a log per rollout batch");
    }

    /**
     * At a sampling temperature other than 1 the policy's, the old and the reference's log-probabilities are
     * all of the logits divided by it (as TRL's GRPOTrainer): at the first step the policy is the reference
     * (LoRA B = 0) and the old policy, so the KL and the clipped fraction are exactly 0 (the clip range is
     * made tiny, so that any ratio but exactly 1 is clipped), which they would not be if one of the three
     * passes left the logits undivided.
     */
    @Test
    void atATemperatureThePolicyOldAndReferencePassesAgree(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "finetuning_type=lora", "temperature=0.7", "beta=0.1", "num_iterations=2",
                "max_steps=2", "loss_type=grpo", "epsilon=1e-6"));
        List<JsonNode> lines = logLines(tmp.resolve("out")).stream().filter(n -> n.has("reward")).toList();
        assertEquals(2, lines.size());
        assertEquals(0.0, lines.getFirst().get("kl").asDouble(), 0.0, "policy and reference at the same temperature: " + lines.getFirst());
        assertEquals(0.0, lines.getFirst().get("clip_ratio").asDouble(), 0.0, "policy and old policy at the same temperature");
        assertTrue(lines.get(1).get("kl").asDouble() > 0, "the second step trains on the same rollouts after an update: " + lines.get(1));
    }

    /**
     * GRPO going on training an adapter (adapter_name_or_path, as after SFT): the KL term's reference is
     * the starting policy, as TRL's (the initial model), so the first step's kl is 0. With the base
     * (adapter off) as the reference, the SFT adapter was pulled back towards a model that cannot answer.
     */
    @Test
    void aLoadedAdapterIsItsOwnReference(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        Path start = tmp.resolve("start");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "finetuning_type=lora", "max_steps=3", "output_dir=" + start));
        Path out = tmp.resolve("out");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "finetuning_type=lora", "adapter_name_or_path=" + start, "beta=0.1",
                "num_iterations=2", "max_steps=2"));
        List<JsonNode> lines = logLines(out).stream().filter(n -> n.has("reward")).toList();
        assertEquals(0.0, lines.get(0).get("kl").asDouble(), 1e-6, "the loaded adapter is the reference at the first step");
        assertTrue(lines.get(1).get("kl").asDouble() > 0, "the second step trains on the same rollouts after an update: " + lines.get(1));
        Path base = tmp.resolve("base-ref");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "finetuning_type=lora", "beta=0.1", "max_steps=1", "output_dir=" + base,
                "adapter_name_or_path=" + start, "ref_model=" + model));
        assertTrue(logLines(base).getFirst().get("kl").asDouble() > 0, "ref_model still names the reference: the bare base here");
    }

    /** Held-out prompts (eval_dataset): their completions' rewards are the evaluation's, during training and with do_eval alone. */
    @Test
    void theHeldOutRewardIsEvaluated(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "max_steps=2", "max_samples=4", "do_eval=true", "eval_dataset=identity",
                "eval_strategy=steps", "eval_steps=1"));
        Path out = tmp.resolve("out");
        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("eval_reward")) evals.add(n);
        }
        assertEquals(2, evals.size(), "an evaluation at each step");
        for (String key : List.of("eval_loss", "eval_reward", "eval_reward_std", "eval_rewards/format/mean", "eval_completion_length")) {
            assertTrue(evals.getFirst().has(key), key + " missing from " + evals.getFirst());
        }
        JsonNode results = JSON.readTree(out.resolve("all_results.json").toFile());
        assertEquals(evals.getLast().get("eval_reward").asDouble(), results.get("eval_reward").asDouble(), 1e-4);
        assertEquals(4 * 2, Files.readAllLines(out.resolve("completions.jsonl")).size(), "held-out completions are not logged as rollouts");

        // do_eval alone: the starting policy on the same prompts, with the same seeds each time
        Path start = tmp.resolve("start");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "do_train=false", "max_samples=4", "do_eval=true", "eval_dataset=identity", "output_dir=" + start));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "do_train=false", "max_samples=4", "do_eval=true", "eval_dataset=identity",
                "output_dir=" + tmp.resolve("start2")));
        JsonNode first = JSON.readTree(start.resolve("eval_results.json").toFile());
        assertTrue(first.has("eval_reward") && first.has("eval_runtime"), first.toString());
        assertEquals(first.get("eval_reward").asDouble(),
                JSON.readTree(tmp.resolve("start2/eval_results.json").toFile()).get("eval_reward").asDouble(), 0.0);
    }

    @Test
    void aFormatRewardRisesDeterministically(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "max_steps=40"));
        Path out = tmp.resolve("out");
        List<JsonNode> lines = logLines(out).stream().filter(n -> n.has("reward")).toList();
        assertEquals(40, lines.size());
        for (String key : List.of("loss", "reward", "reward_std", "rewards/format/mean", "completion_length", "clip_ratio",
                "generation_time", "training_time")) {
            assertTrue(lines.getFirst().has(key), key + " missing from " + lines.getFirst());
        }
        assertTrue(!lines.getFirst().has("kl"), "no kl with beta 0");
        double first = 0, last = 0;
        // a step's reward is the mean of 16 completions, so it is noisy: compare the first and last 8 steps
        for (int i = 0; i < 8; i++) {
            first += lines.get(i).get("reward").asDouble() / 8;
            last += lines.get(lines.size() - 1 - i).get("reward").asDouble() / 8;
        }
        assertTrue(last > first + 0.2, "the mean reward rises: first steps " + first + ", last steps " + last + "; "
                + lines.stream().map(n -> n.get("reward").asText() + "/" + n.get("loss").asText() + "/" + n.get("completion_length").asText()).toList() + Files.readAllLines(out.resolve("completions.jsonl")).subList(0, 8));
        List<String> completions = Files.readAllLines(out.resolve("completions.jsonl"));
        assertEquals(40 * 4, completions.size(), "4 completions a step");
        JsonNode sample = JSON.readTree(completions.getFirst());
        for (String key : List.of("step", "prompt", "completion", "answer", "reward", "advantage", "rewards")) {
            assertTrue(sample.has(key), key + " missing from " + sample);
        }
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        assertTrue(!sample.get("answer").asText().isEmpty(), "the dataset's answer column reaches the rewards: " + sample);

        Path again = tmp.resolve("again");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "max_steps=40", "output_dir=" + again));
        List<JsonNode> repeated = logLines(again).stream().filter(n -> n.has("reward")).toList();
        for (int i = 0; i < lines.size(); i++) {
            for (String key : List.of("loss", "reward", "reward_std", "completion_length")) {
                assertEquals(lines.get(i).get(key).asDouble(), repeated.get(i).get(key).asDouble(), 0.0, "step " + (i + 1) + " " + key);
            }
        }
        assertEquals(completions, Files.readAllLines(again.resolve("completions.jsonl")));
    }
}
