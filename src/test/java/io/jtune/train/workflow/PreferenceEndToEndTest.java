package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.safetensors.SafetensorsFile;
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

/** `jtune train` with stages dpo and kto on a tiny model: their metrics in every output, LoRA and full tuning, orpo, evaluation only. */
@Timeout(300)
class PreferenceEndToEndTest {
    @TempDir static Path shared;
    static Path model;
    static final Path DATA = Path.of("data").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> METRICS = List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
            "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected");

    @BeforeAll
    static void makeModel() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
    }

    static Path config(Path dir, String type, String extra) throws IOException {
        Path yaml = dir.resolve("dpo.yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: dpo",
                "do_train: true",
                "finetuning_type: " + type,
                "dataset: dpo_en_demo",
                "dataset_dir: " + DATA,
                "template: chatml",
                "cutoff_len: 128",
                "val_size: 0.2",
                "eval_strategy: steps",
                "eval_steps: 4",
                "output_dir: " + dir.resolve("out"),
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 2",
                "per_device_eval_batch_size: 2",
                "learning_rate: 1.0e-2",
                "num_train_epochs: 2",
                "logging_steps: 1",
                "save_steps: 4",
                "plot_loss: true",
                "report_to: tensorboard",
                extra, ""));
        return yaml;
    }

    static List<JsonNode> logLines(Path out) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) lines.add(JSON.readTree(line));
        return lines;
    }

    @Test
    void loraDpoLogsItsMetricsEverywhereAndEvaluatesAgainstTheBase(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "lora", "lora_rank: 4\npref_beta: 0.5");
        Path out = tmp.resolve("out");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml));
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(st.names().contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), st.names().toString());
        }
        // 8 training pairs, 2 a batch, 2 epochs: 8 steps; the first step's policy is the base (LoRA B = 0): rewards 0
        List<JsonNode> lines = logLines(out);
        JsonNode first = lines.getFirst();
        assertEquals(1, first.get("current_steps").asInt());
        for (String m : METRICS) assertTrue(first.has(m), m + " missing from " + first);
        assertEquals(0.0, first.get("rewards/chosen").asDouble(), 0.0);
        assertEquals(0.0, first.get("rewards/accuracies").asDouble(), 0.0, "no chosen reward is strictly above a rejected one");
        assertEquals(first.get("rewards/accuracies").asDouble(), first.get("accuracy").asDouble(), 0.0, "LLaMA-Factory's accuracy field");
        JsonNode last = lines.stream().filter(n -> n.has("loss")).reduce((a, b) -> b).orElseThrow();
        assertEquals(8, last.get("current_steps").asInt());
        assertTrue(last.get("rewards/margins").asDouble() > 0, "the trained policy prefers the chosen answers: " + last);

        JsonNode state = JSON.readTree(out.resolve("trainer_state.json").toFile());
        boolean trainMetric = false, evalMetric = false;
        for (JsonNode h : state.get("log_history")) {
            trainMetric |= h.has("rewards/accuracies");
            evalMetric |= h.has("eval_rewards/accuracies");
        }
        assertTrue(trainMetric && evalMetric, "log_history carries the train and eval metrics");
        JsonNode results = JSON.readTree(out.resolve("all_results.json").toFile());
        for (String m : METRICS) assertTrue(results.has("eval_" + m), "eval_" + m + " missing from " + results);
        for (String f : List.of("training_loss.png", "training_rewards_accuracies.png", "checkpoint-4/adapter_model.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f + " missing");
        }
        assertEquals(8, JSON.readTree(out.resolve("checkpoint-4/jtune_progress.json").toFile()).get("samples_seen").asInt(),
                "4 steps of 2 pairs: a pair is one sample, as in LLaMA-Factory");

        // Evaluation only with the trained adapter: the reference is still the base, so the rewards agree with the run's last evaluation
        Path evalOut = tmp.resolve("eval");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "do_train=false", "do_eval=true", "adapter_name_or_path=" + out,
                "output_dir=" + evalOut));
        JsonNode eval = JSON.readTree(evalOut.resolve("eval_results.json").toFile());
        for (String m : List.of("eval_loss", "eval_rewards/chosen", "eval_rewards/margins", "eval_logps/rejected")) {
            assertEquals(results.get(m).asDouble(), eval.get(m).asDouble(), 1e-6 * Math.max(1, Math.abs(results.get(m).asDouble())), m);
        }
        assertTrue(Math.abs(eval.get("eval_rewards/chosen").asDouble()) > 1e-6, "rewards against the base are not zero: " + eval);
    }

    @Test
    void fullTuningComparesWithAFrozenCopyOfTheStartingWeights(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "full", "");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "learning_rate=1.0e-3", "num_train_epochs=1"));
        Path out = tmp.resolve("out");
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        JsonNode first = logLines(out).getFirst();
        assertEquals(0.0, first.get("rewards/margins").asDouble(), 0.0, "the first step's policy is the reference");
        assertEquals(Math.log(2), first.get("loss").asDouble(), 1e-4, "sigmoid loss at z = 0 is log 2 (logged to 4 digits)");
    }

    @Test
    void orpoNeedsNoReferenceAndLogsItsTerms(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "lora", "pref_loss: orpo");
        // with the Chinese pairs too: 20 pairs, 16 for training
        Files.writeString(yaml, Files.readString(yaml).replace("dataset: dpo_en_demo", "dataset: dpo_en_demo,dpo_zh_demo"));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "num_train_epochs=1"));
        assertEquals(8, logLines(tmp.resolve("out")).stream().filter(n -> n.has("loss")).count(), "16 training pairs, 2 a step");
        JsonNode first = logLines(tmp.resolve("out")).getFirst();
        for (String m : List.of("sft_loss", "odds_ratio_loss", "rewards/chosen")) assertTrue(first.has(m), m + " missing from " + first);
        assertTrue(first.get("rewards/chosen").asDouble() < 0, "orpo's reward is beta x the mean log-prob: " + first);
    }

    @Test
    void ktoTrainsOnTaggedAnswersWithTheKlTermAndPlotsTheChosenRewards(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "lora", "kto_rejected_weight: 1.5");
        Files.writeString(yaml, Files.readString(yaml).replace("stage: dpo", "stage: kto").replace("dpo_en_demo", "kto_en_demo,kto_zh_demo"));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "num_train_epochs=1"));
        Path out = tmp.resolve("out");
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
        List<JsonNode> lines = logLines(out);
        JsonNode first = lines.getFirst();
        assertTrue(first.has("kl") && first.has("loss"), first.toString());
        assertEquals(0.0, first.get("kl").asDouble(), 0.0, "the first step's policy is the reference: " + first);
        boolean anyChosen = lines.stream().anyMatch(n -> n.has("rewards/chosen"));
        boolean anyRejected = lines.stream().anyMatch(n -> n.has("rewards/rejected") && n.has("logps/rejected"));
        assertTrue(anyChosen && anyRejected, "rewards of both kinds are logged");
        JsonNode results = JSON.readTree(out.resolve("all_results.json").toFile());
        assertTrue(results.has("eval_kl") && results.has("eval_loss"), results.toString());
        assertTrue(Files.exists(out.resolve("training_rewards_chosen.png")), "plot of rewards/chosen");
    }

    @Test
    void rewardModelSavesAndRestoresItsValueHead(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "lora", "lora_rank: 4");
        Files.writeString(yaml, Files.readString(yaml).replace("stage: dpo", "stage: rm"));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml));
        Path out = tmp.resolve("out");
        for (Path dir : List.of(out, out.resolve("checkpoint-4"))) {
            try (SafetensorsFile head = SafetensorsFile.open(dir.resolve("value_head.safetensors"));
                 SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
                assertEquals(java.util.Set.of("v_head.summary.weight", "v_head.summary.bias"), head.names());
                assertTrue(head.tensor("v_head.summary.weight").hasShape(1, 32));
                assertTrue(head.tensor("v_head.summary.bias").hasShape(1));
                assertTrue(adapter.names().stream().noneMatch(n -> n.startsWith("v_head")), "the adapter file is PEFT's alone");
            }
        }
        JsonNode results = JSON.readTree(out.resolve("all_results.json").toFile());
        assertTrue(results.has("eval_accuracy") && results.has("eval_loss"), results.toString());
        assertTrue(Files.exists(out.resolve("training_eval_accuracy.png")), "plot of eval_accuracy");

        // evaluation only from the saved folder: the head is restored with the adapter, so the scores are the run's
        Path evalOut = tmp.resolve("eval");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "do_train=false", "do_eval=true", "adapter_name_or_path=" + out,
                "output_dir=" + evalOut));
        JsonNode eval = JSON.readTree(evalOut.resolve("eval_results.json").toFile());
        assertEquals(results.get("eval_loss").asDouble(), eval.get("eval_loss").asDouble(), 1e-6, "eval_loss with the restored head");
        assertEquals(results.get("eval_accuracy").asDouble(), eval.get("eval_accuracy").asDouble(), 0.0);
    }

    @Test
    void fullTuningRewardModelWritesTheModelAndItsHead(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "full", "");
        Files.writeString(yaml, Files.readString(yaml).replace("stage: dpo", "stage: rm"));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "learning_rate=1.0e-3", "num_train_epochs=1"));
        Path out = tmp.resolve("out");
        assertTrue(Files.exists(out.resolve("model.safetensors")) && Files.exists(out.resolve("value_head.safetensors")));
        try (SafetensorsFile model = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertTrue(model.names().stream().noneMatch(n -> n.startsWith("v_head")), "the model folder holds the model's tensors only");
        }
    }
}
