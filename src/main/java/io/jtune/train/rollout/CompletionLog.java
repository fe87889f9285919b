package io.jtune.train.rollout;

import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * completions.jsonl in output_dir: a few sampled completions of each step with their rewards, one
 * JSON object a line ({"step", "prompt", "completion", "answer", "reward", "advantage", "rewards": {name: value}}),
 * so that what the policy learns can be read as it learns. The file is rewritten whole (atomically) at each step.
 */
public final class CompletionLog {
    public static final String FILE_NAME = "completions.jsonl";

    private final Path file;
    private final StringBuilder lines = new StringBuilder();

    /** @param keepExisting a resumed run continues the file; a new run starts it afresh */
    public CompletionLog(Path outputDir, boolean keepExisting) {
        this.file = outputDir.resolve(FILE_NAME);
        if (keepExisting && Files.isRegularFile(file)) {
            try {
                lines.append(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public void add(int step, String prompt, String completion, String answer, double reward, double advantage,
                    Map<String, Double> rewards) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("step", step);
        entry.put("prompt", prompt);
        entry.put("completion", completion);
        entry.put("answer", answer);
        entry.put("reward", reward);
        entry.put("advantage", advantage);
        entry.put("rewards", rewards);
        lines.append(PythonJson.dumps(entry, PythonJson.Options.NON_ASCII_KEPT)).append('\n');
    }

    /** Writes every line so far. */
    public void flush() {
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.writeString(file, lines.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
