package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/**
 * Training that watches a metric, end to end on a tiny model: early stopping ends a run whose eval
 * metric stalls, load_best_model_at_end saves the best checkpoint's weights, save_strategy best saves
 * at each new best, trainer_state.json records the best, and a resumed run stops where an
 * uninterrupted one does.
 */
@Timeout(300)
class EarlyStoppingEndToEndTest {
    @TempDir static Path shared;
    static Path model;
    static Path data;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModelAndData() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        data = PreferencePairs.write(shared.resolve("data"), 2, 7);
    }

    /** 32 training pairs, 4 a step: 8 steps an epoch, 2 epochs; an evaluation every 2 steps on 16 held-out pairs. */
    static Path config(Path dir, String stage, String extra) throws IOException {
        Path yaml = dir.resolve(stage + ".yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: " + stage,
                "do_train: true",
                "finetuning_type: lora",
                "lora_rank: 4",
                "dataset: pairs_train",
                "eval_dataset: pairs_eval",
                "dataset_dir: " + data,
                "template: chatml",
                "cutoff_len: 96",
                "output_dir: " + dir.resolve("out"),
                "per_device_train_batch_size: 4",
                "per_device_eval_batch_size: 8",
                "learning_rate: 1.0e-2",
                "lr_scheduler_type: constant",
                "num_train_epochs: 2",
                "logging_steps: 2",
                "eval_strategy: steps",
                "eval_steps: 2",
                "save_steps: 2",
                "pref_beta: 0.5",
                extra, ""));
        return yaml;
    }

    /** The evaluations of trainer_state.json's log history during training, in order (the final one left out). */
    static List<JsonNode> evaluations(Path out) throws IOException {
        List<JsonNode> evals = new ArrayList<>();
        JsonNode history = JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history");
        boolean trained = false;
        for (JsonNode h : history) {
            trained |= h.has("train_loss");
            if (h.has("eval_loss") && !trained) evals.add(h);
        }
        return evals;
    }

    static float[] tensor(Path dir, String file, String name) {
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(file))) {
            return st.tensor(name).toFloatArray();
        }
    }

    static final String LORA_B = "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight";

    @Test
    void aStalledAccuracyStopsTheRunAndTheSavedAdapterIsTheBestCheckpoints(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "dpo", "metric_for_best_model: rewards/accuracies\nearly_stopping_steps: 2\nload_best_model_at_end: true");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml));
        Path out = tmp.resolve("out");
        List<JsonNode> evals = evaluations(out);
        // HF's rule replayed on the logged values: the best is the first to reach the highest accuracy, and
        // the run stops at the second evaluation in a row that does not exceed it
        double best = Double.NEGATIVE_INFINITY;
        int bestStep = -1, without = 0, stopStep = -1;
        for (JsonNode e : evals) {
            double acc = e.get("eval_rewards/accuracies").asDouble();
            if (acc > best) {
                best = acc;
                bestStep = e.get("step").asInt();
                without = 0;
            } else if (++without == 2) {
                stopStep = e.get("step").asInt();
                break;
            }
        }
        assertEquals(1.0, best, "the held-out pairs are learnt: " + evals);
        assertTrue(stopStep > 0 && stopStep < 16, "the accuracy stalls at 1.0, so the run stops before its 16 steps: " + evals);
        assertEquals(stopStep, evals.getLast().get("step").asInt(), "no evaluation after the stop");

        JsonNode state = JSON.readTree(out.resolve("trainer_state.json").toFile());
        assertEquals(stopStep, state.get("global_step").asInt());
        assertEquals(best, state.get("best_metric").asDouble());
        assertEquals(bestStep, state.get("best_global_step").asInt());
        assertEquals(out.resolve("checkpoint-" + bestStep).toString(), state.get("best_model_checkpoint").asText());
        JsonNode es = state.get("stateful_callbacks").get("EarlyStoppingCallback");
        assertEquals(2, es.get("args").get("early_stopping_patience").asInt());
        assertEquals(2, es.get("attributes").get("early_stopping_patience_counter").asInt());
        assertTrue(state.at("/stateful_callbacks/TrainerControl/args/should_training_stop").asBoolean());

        // the adapter in output_dir is the best checkpoint's, not the last one's, and the final evaluation is of it
        assertArrayEquals(tensor(out.resolve("checkpoint-" + bestStep), "adapter_model.safetensors", LORA_B),
                tensor(out, "adapter_model.safetensors", LORA_B));
        assertFalse(java.util.Arrays.equals(tensor(out.resolve("checkpoint-" + stopStep), "adapter_model.safetensors", LORA_B),
                tensor(out, "adapter_model.safetensors", LORA_B)), "the last checkpoint differs from the best");
        JsonNode results = JSON.readTree(out.resolve("eval_results.json").toFile());
        JsonNode bestEval = evals.stream().filter(e -> e.get("step").asInt() == bestStepOf(state)).findFirst().orElseThrow();
        assertEquals(bestEval.get("eval_loss").asDouble(), results.get("eval_loss").asDouble(), 1e-12);
        assertEquals(1.0, results.get("eval_rewards/accuracies").asDouble());
    }

    private static int bestStepOf(JsonNode state) {
        return state.get("best_global_step").asInt();
    }

    @Test
    void aRisingEvalLossStopsTheRunAndSaveStrategyBestSavesOnlyNewBests(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "rm", "save_strategy: best\nload_best_model_at_end: true\nearly_stopping_steps: 1");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml));
        Path out = tmp.resolve("out");
        List<JsonNode> evals = evaluations(out);
        JsonNode state = JSON.readTree(out.resolve("trainer_state.json").toFile());
        // lower eval_loss is better (the default for loss); patience 1: the first evaluation that does not improve ends the run
        double best = Double.POSITIVE_INFINITY;
        List<String> expectedCheckpoints = new ArrayList<>();
        int bestStep = -1;
        for (int i = 0; i < evals.size(); i++) {
            double loss = evals.get(i).get("eval_loss").asDouble();
            int step = evals.get(i).get("step").asInt();
            if (loss < best) {
                best = loss;
                bestStep = step;
                expectedCheckpoints.add("checkpoint-" + step);
                assertTrue(i < evals.size() - 1, "a run whose last evaluation improved would not have stopped: " + evals);
            } else {
                assertEquals(evals.size() - 1, i, "the run stops at the first evaluation without improvement: " + evals);
            }
        }
        assertTrue(state.get("global_step").asInt() < 16, "stopped early: " + evals);
        assertEquals(best, state.get("best_metric").asDouble());
        assertEquals(bestStep, state.get("best_global_step").asInt());
        List<String> checkpoints;
        try (var s = Files.list(out)) {
            checkpoints = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-"))
                    .sorted(java.util.Comparator.comparingInt(n -> Integer.parseInt(n.substring(11)))).toList();
        }
        assertEquals(expectedCheckpoints, checkpoints, "a checkpoint at each new best and nowhere else");
        assertArrayEquals(tensor(out.resolve("checkpoint-" + bestStep), "value_head.safetensors", "v_head.summary.weight"),
                tensor(out, "value_head.safetensors", "v_head.summary.weight"), "the saved value head is the best one's");
        assertEquals(best, JSON.readTree(out.resolve("eval_results.json").toFile()).get("eval_loss").asDouble(), 1e-12);
    }

    @Test
    void aResumedRunKeepsTheBestAndThePatienceCountAndStopsWhereTheWholeRunStops(@TempDir Path tmp) throws IOException {
        String watch = "metric_for_best_model: eval_rewards/accuracies\nearly_stopping_steps: 2\nload_best_model_at_end: true";
        Path whole = tmp.resolve("whole");
        Files.createDirectories(whole);
        assertEquals(0, TrainCommandEndToEndTest.train(config(whole, "dpo", watch)));
        JsonNode wholeState = JSON.readTree(whole.resolve("out/trainer_state.json").toFile());
        int stop = wholeState.get("global_step").asInt();
        assertTrue(stop >= 4 && stop < 16, "the whole run stops early, after its second evaluation: " + stop);

        // the same run cut short two steps before its stop (max_steps; the constant schedule does not depend on it), then resumed
        Path parts = tmp.resolve("parts");
        Files.createDirectories(parts);
        Path yaml = config(parts, "dpo", watch);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "max_steps=" + (stop - 2)));
        JsonNode cut = JSON.readTree(parts.resolve("out/checkpoint-" + (stop - 2) + "/trainer_state.json").toFile());
        assertEquals(1, cut.get("stateful_callbacks").get("EarlyStoppingCallback").get("attributes")
                .get("early_stopping_patience_counter").asInt(), "one evaluation without improvement before the cut");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "resume_from_checkpoint=" + parts.resolve("out/checkpoint-" + (stop - 2))));
        JsonNode resumed = JSON.readTree(parts.resolve("out/trainer_state.json").toFile());
        assertEquals(stop, resumed.get("global_step").asInt(), "the restored count stops the resumed run at the same step");
        for (String key : List.of("best_metric", "best_global_step")) assertEquals(wholeState.get(key), resumed.get(key), key);
        assertEquals(parts.resolve("out/checkpoint-" + wholeState.get("best_global_step").asInt()).toString(),
                resumed.get("best_model_checkpoint").asText());
        assertArrayEquals(tensor(whole.resolve("out"), "adapter_model.safetensors", LORA_B),
                tensor(parts.resolve("out"), "adapter_model.safetensors", LORA_B), "the same best adapter");
    }
}
