package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.hf.MetricsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingLoggerTest {
    @TempDir Path dir;

    @Test
    void aRunLeavesTheFilesHfAndLlamaFactoryTools() throws IOException {
        AtomicLong clock = new AtomicLong();
        TrainerState state = new TrainerState(4, 2, 2, 2, 500, 1);
        Path run = dir.resolve("runs").resolve("r");
        List<String> missing;
        try (TrainingLogger logger = new TrainingLogger(dir, state, true, run, clock::get)) {
            for (int step = 1; step <= 4; step++) {
                clock.addAndGet(2_000_000_000L); // 2 s a step
                state.advance(step, step / 2.0, 100L * step, 0);
                if (step % 2 == 0) {
                    logger.log(Map.of("loss", 2.0 / step, "learning_rate", 1e-4 * (4 - step) / 4, "epoch", step / 2.0));
                }
            }
            logger.finishEvaluation(Map.of("eval_loss", 0.75, "epoch", 2.0));
            Map<String, Object> train = new LinkedHashMap<>(MetricsFiles.speed("train", 8.0, 4, 4, 0));
            train.put("train_loss", 0.75);
            train.put("epoch", 2.0);
            missing = logger.finishTraining(train, true, List.of("loss", "eval_loss", "eval_accuracy"));
        }
        assertEquals(List.of("eval_loss", "eval_accuracy"), missing, "one eval_loss point makes no curve");
        List<String> lines = Files.readAllLines(dir.resolve("trainer_log.jsonl"));
        assertEquals(4, lines.size()); // two training logs, the evaluation, the final train metrics
        assertEquals("{\"current_steps\": 2, \"total_steps\": 4, \"loss\": 1.0, \"lr\": 5e-05, \"epoch\": 1.0, \"percentage\": 50.0,"
                + " \"elapsed_time\": \"0:00:04\", \"remaining_time\": \"0:00:04\", \"throughput\": 50.0, \"total_tokens\": 200}", lines.get(0));
        assertTrue(lines.get(2).contains("\"eval_loss\": 0.75"), lines.get(2));
        TrainerState written = TrainerState.read(dir.resolve("trainer_state.json"));
        assertEquals(4, written.logHistory().size());
        assertEquals(0.75, written.logHistory().get(3).get("train_loss"));
        assertTrue(Files.readString(dir.resolve("all_results.json")).contains("\"train_runtime\": 8.0"));
        assertTrue(Files.exists(dir.resolve("eval_results.json")));
        assertTrue(Files.exists(dir.resolve("training_loss.png")));
        assertTrue(Files.notExists(dir.resolve("training_eval_loss.png")));
        try (var files = Files.list(run)) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).count());
        }
    }
}
