package io.jtune.io.hf;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * train_results.json, eval_results.json and all_results.json as the HF Trainer's save_metrics writes
 * them ({split}_results.json with the split's metrics; all_results.json merging every split; indent 4,
 * sorted keys), and the speed metrics HF computes (train_runtime, train_samples_per_second, ...).
 * Training, evaluation and prediction all write them, so the format lives here below all three.
 */
public final class MetricsFiles {
    private MetricsFiles() {}

    /** Writes {split}_results.json and merges the metrics into all_results.json, both atomically. */
    public static void save(Path outputDir, String split, Map<String, ?> metrics) throws IOException {
        AtomicFiles.writeString(outputDir.resolve(split + "_results.json"), PythonJson.dumps(metrics, PythonJson.Options.DEFAULT.withIndent(4).withSortedKeys()));
        Path all = outputDir.resolve("all_results.json");
        Map<String, Object> combined = new LinkedHashMap<>();
        if (Files.exists(all)) {
            try {
                combined.putAll(new ObjectMapper().readValue(all.toFile(), new TypeReference<Map<String, Object>>() {}));
            } catch (IOException e) {
                throw new JtuneException(all + " is not a JSON object of metrics (" + e.getMessage() + "); delete it or use a fresh output_dir", e);
            }
        }
        combined.putAll(metrics);
        AtomicFiles.writeString(all, PythonJson.dumps(combined, PythonJson.Options.DEFAULT.withIndent(4).withSortedKeys()));
    }

    /**
     * HF's speed_metrics: {split}_runtime (rounded to 4 places), {split}_samples_per_second,
     * {split}_steps_per_second and, when tokens are counted, {split}_tokens_per_second (3 places).
     */
    public static Map<String, Object> speed(String split, double runtimeSeconds, long samples, long steps, long tokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(split + "_runtime", PythonJson.round(runtimeSeconds, 4));
        if (samples > 0) {
            m.put(split + "_samples_per_second", PythonJson.round(samples / runtimeSeconds, 3));
        }
        if (steps > 0) {
            m.put(split + "_steps_per_second", PythonJson.round(steps / runtimeSeconds, 3));
        }
        if (tokens > 0) {
            m.put(split + "_tokens_per_second", PythonJson.round(tokens / runtimeSeconds, 3));
        }
        return m;
    }
}
