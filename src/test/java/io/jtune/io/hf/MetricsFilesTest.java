package io.jtune.io.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** *_results.json and all_results.json. */
class MetricsFilesTest {
    @TempDir Path dir;

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void resultsFilesAreHfSaveMetrics() throws IOException {
        Map<String, Object> train = map("epoch", 3.0, "total_flos", 1.5e12, "train_loss", 1.25);
        train.putAll(MetricsFiles.speed("train", 12.345678, 24, 6, 0));
        MetricsFiles.save(dir, "train", train);
        assertEquals("""
                {
                    "epoch": 3.0,
                    "total_flos": 1500000000000.0,
                    "train_loss": 1.25,
                    "train_runtime": 12.3457,
                    "train_samples_per_second": 1.944,
                    "train_steps_per_second": 0.486
                }""", Files.readString(dir.resolve("train_results.json")));
        MetricsFiles.save(dir, "eval", map("epoch", 3.0, "eval_loss", 1.5, "eval_runtime", 0.5));
        String all = Files.readString(dir.resolve("all_results.json"));
        assertTrue(all.contains("\"eval_loss\": 1.5,") && all.contains("\"train_loss\": 1.25,"), all);
        assertFalse(Files.readString(dir.resolve("eval_results.json")).contains("train_loss"));
        Files.writeString(dir.resolve("all_results.json"), "[1, 2]");
        assertThrows(JtuneException.class, () -> MetricsFiles.save(dir, "eval", map("eval_loss", 1.0)));
    }
}
