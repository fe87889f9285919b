package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** trainer_log.jsonl, trainer_state.json and the loss plots. */
class OutputFilesTest {
    @TempDir Path dir;

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void trainerLogLinesHaveLlamaFactorysFields() throws IOException {
        try (TrainerLogWriter log = new TrainerLogWriter(dir, true)) {
            log.append(TrainerLogWriter.line(map("loss", 1.2345, "grad_norm", 0.5, "learning_rate", 5e-05, "epoch", 0.5), 5, 20, 10.9, 0));
            log.append(TrainerLogWriter.line(map("eval_loss", 1.1, "epoch", 1.0), 10, 20, 3725.0, 40960));
        }
        List<String> lines = Files.readAllLines(dir.resolve("trainer_log.jsonl"));
        assertEquals(List.of(
                "{\"current_steps\": 5, \"total_steps\": 20, \"loss\": 1.2345, \"lr\": 5e-05, \"epoch\": 0.5, \"percentage\": 25.0,"
                        + " \"elapsed_time\": \"0:00:10\", \"remaining_time\": \"0:00:32\"}",
                "{\"current_steps\": 10, \"total_steps\": 20, \"eval_loss\": 1.1, \"epoch\": 1.0, \"percentage\": 50.0,"
                        + " \"elapsed_time\": \"1:02:05\", \"remaining_time\": \"1:02:05\", \"throughput\": 11.0, \"total_tokens\": 40960}"),
                lines);
        try (TrainerLogWriter log = new TrainerLogWriter(dir, false)) { // a resumed run appends
            log.append(TrainerLogWriter.line(map("loss", 1.0), 15, 20, 1, 0));
        }
        assertEquals(3, Files.readAllLines(dir.resolve("trainer_log.jsonl")).size());
        new TrainerLogWriter(dir, true).close(); // overwrite_output_dir starts afresh
        assertEquals(0, Files.readAllLines(dir.resolve("trainer_log.jsonl")).size());
    }

    @Test
    void anObjectivesMetricsFollowEpochInTheLogLine() {
        Map<String, Object> line = TrainerLogWriter.line(map("loss", 1.0, "learning_rate", 1e-4, "rewards/chosen", 0.5, "epoch", 0.5),
                List.of("rewards/chosen"), 1, 2, 1, 0);
        assertEquals(List.of("current_steps", "total_steps", "loss", "lr", "epoch", "rewards/chosen", "percentage", "elapsed_time",
                "remaining_time"), List.copyOf(line.keySet()));
        assertEquals(0.5, line.get("rewards/chosen"));
    }

    @Test
    void timedeltaPrintsLikePython() {
        assertEquals("0:00:00", TrainerLogWriter.timedelta(0.9));
        assertEquals("0:01:05", TrainerLogWriter.timedelta(65));
        assertEquals("1 day, 2:03:04", TrainerLogWriter.timedelta(86400 + 7384));
        assertEquals("3 days, 0:00:00", TrainerLogWriter.timedelta(3 * 86400));
    }

    @Test
    void trainerStateRoundTripsAndHasHfLayout() throws IOException {
        TrainerState state = new TrainerState(20, 3, 5, 5, 10, 2);
        state.advance(5, 0.75, 2048, 1.0e9);
        state.log(map("epoch", 0.75, "grad_norm", 0.8, "learning_rate", 4e-05, "loss", 2.5));
        state.advance(10, 1.5, 4096, 2.0e9);
        state.log(map("epoch", 1.5, "eval_loss", 2.25, "eval_runtime", 0.1));
        state.write(dir);
        String text = Files.readString(dir.resolve("trainer_state.json"));
        assertTrue(text.startsWith("{\n  \"best_global_step\": null,\n  \"best_metric\": null,"), text);
        assertTrue(text.contains("\"log_history\": [\n    {\n      \"epoch\": 0.75,\n      \"grad_norm\": 0.8,"), text);
        assertTrue(text.endsWith("\"trial_params\": null\n}\n"), text);

        TrainerState back = TrainerState.read(dir.resolve("trainer_state.json"));
        assertEquals(10, back.globalStep());
        assertEquals(1.5, back.epoch());
        assertEquals(4096, back.numInputTokensSeen());
        assertEquals(2, back.logHistory().size());
        assertEquals(5, ((Number) back.logHistory().get(0).get("step")).intValue());
        back.write(dir.resolve("again"));
        assertEquals(text, Files.readString(dir.resolve("again").resolve("trainer_state.json")));
        Files.writeString(dir.resolve("bad.json"), "{\"global_step\": ");
        assertThrows(JtuneException.class, () -> TrainerState.read(dir.resolve("bad.json")));
    }

    @Test
    void smoothingIsLlamaFactorysEma() {
        List<Double> expected = List.of(2.0, 1.5559588507972182, 1.7726874754867596, 1.2640938659883982, 1.0295567784866106);
        List<Double> actual = LossPlot.smooth(List.of(2.0, 1.5, 1.8, 1.2, 1.0));
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), 1e-15);
        }
    }

    @Test
    void lossPlotsArePngsOfTheLoggedKeys() throws IOException {
        TrainerState state = new TrainerState(30, 1, 1, 10, 10, 1);
        for (int step = 1; step <= 30; step++) {
            state.advance(step, step / 30.0, 0, 0);
            state.log(map("loss", 3.0 / step + 0.1 * Math.sin(step), "learning_rate", 1e-4));
            if (step % 10 == 0) {
                state.log(map("eval_loss", 3.0 / step + 0.2));
            }
        }
        LossPlot.Result r = LossPlot.plot(dir, state.logHistory(), List.of("loss", "eval_loss", "eval_accuracy"));
        assertEquals(List.of(dir.resolve("training_loss.png"), dir.resolve("training_eval_loss.png")), r.written());
        assertEquals(List.of("eval_accuracy"), r.missingKeys());
        BufferedImage png = ImageIO.read(dir.resolve("training_loss.png").toFile());
        assertEquals(640, png.getWidth());
        assertEquals(480, png.getHeight());
    }
}
