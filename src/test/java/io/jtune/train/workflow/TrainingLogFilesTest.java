package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.train.TensorBoardEvents;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log files of a run whose only evaluation is the final one, driven through the listener calls the Trainer makes. */
class TrainingLogFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path out;

    private TrainingLogFiles run(boolean finalEval) {
        JtuneConfig config = ConfigLoader.fromMap("test", Map.of("model_name_or_path", "m", "output_dir", out.toString(),
                "report_to", "tensorboard", "overwrite_output_dir", true, "learning_rate", 2e-4), List.of());
        TrainingLogFiles files = new TrainingLogFiles(out, config.training(), true, List.of("loss", "eval_loss"))
                .describing(TrainingLogFiles.trainingArgsJson(config), "{\n  \"model_type\": \"llama\"\n}\n", 1000);
        TrainingPlan plan = TrainingPlan.of(4, 1, 1, 0, 1, 0, 0);
        files.onTrainBegin(plan, 0);
        for (int step = 1; step <= 4; step++) {
            files.onStep(step, 1.0 / step, 1e-4, step / 4.0, 50L * step);
            files.onLog(new TrainerListener.StepLog(step, 4, 1.0 / step, 0.5, 1e-4, step / 4.0, 50L * step, step, Map.of()));
        }
        if (finalEval) files.onEvaluate(4, 1.0, 0.42, Map.of(), new TrainerListener.EvalSpeed(2.0, 6, 3));
        files.onTrainEnd(new TrainOutcome(4, 1.0, 0.5, 8.0, 8, 200, false, finalEval ? 0.42 : null, Map.of()));
        return files;
    }

    @Test
    void theFinalEvaluationIsLoggedOnceAfterTheTrainMetricsAndNotPlottedAsOnePoint() throws IOException {
        run(true);
        List<String> evalLines = Files.readAllLines(out.resolve("trainer_log.jsonl")).stream().filter(l -> l.contains("eval_loss")).toList();
        assertEquals(1, evalLines.size(), evalLines.toString());
        JsonNode history = JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history");
        List<String> kinds = new ArrayList<>();
        for (JsonNode e : history) kinds.add(e.has("eval_loss") ? "eval" : e.has("train_loss") ? "train" : "log");
        assertEquals(List.of("log", "log", "log", "log", "train", "eval"), kinds, "as HF: train() then evaluate()");
        JsonNode eval = history.get(5);
        assertEquals(2.0, eval.get("eval_runtime").asDouble());
        assertEquals(3.0, eval.get("eval_samples_per_second").asDouble());
        assertEquals(1.5, eval.get("eval_steps_per_second").asDouble());
        List<String> tags = new ArrayList<>();
        for (TensorBoardEvents.Event e : TensorBoardEvents.read(eventFile())) tags.addAll(e.scalars().keySet());
        assertEquals(1, tags.stream().filter("eval/loss"::equals).count());
        assertTrue(Files.exists(out.resolve("training_loss.png")));
        assertFalse(Files.exists(out.resolve("training_eval_loss.png")), "a single point is not a curve");
    }

    @Test
    void resultsFilesHaveHfsTotalFlosAndEvalSpeed() throws IOException {
        run(true);
        JsonNode all = JSON.readTree(out.resolve("all_results.json").toFile());
        assertEquals(6.0 * 1000 * 200, all.get("total_flos").asDouble(), "6 x parameters x tokens");
        for (String key : List.of("eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "eval_loss", "epoch")) {
            assertTrue(JSON.readTree(out.resolve("eval_results.json").toFile()).has(key), key);
        }
        assertEquals(6.0 * 1000 * 200, JSON.readTree(out.resolve("trainer_state.json").toFile()).get("total_flos").asDouble());
    }

    @Test
    void tensorBoardHasTheArgsAndModelConfigTexts() throws IOException {
        run(false);
        Map<String, String> texts = new java.util.HashMap<>();
        for (TensorBoardEvents.Event e : TensorBoardEvents.read(eventFile())) texts.putAll(e.texts());
        assertEquals("{\n  \"model_type\": \"llama\"\n}\n", texts.get("model_config/text_summary"));
        JsonNode args = JSON.readTree(texts.get("args/text_summary"));
        assertEquals(2e-4, args.get("learning_rate").asDouble());
        assertEquals(out.toString(), args.get("output_dir").asText());
        assertFalse(args.has("model_name_or_path"), "only the Trainer's arguments, as HF's args");
    }

    private Path eventFile() throws IOException {
        try (Stream<Path> files = Files.walk(out.resolve("runs"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).findFirst().orElseThrow();
        }
    }
}
