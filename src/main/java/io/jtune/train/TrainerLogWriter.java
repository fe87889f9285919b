package io.jtune.train;

import io.jtune.util.PythonJson;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * output_dir/trainer_log.jsonl, line for line as LLaMA-Factory's LogCallback writes it (the web UI
 * and scripts read it): current_steps, total_steps, loss, eval_loss, lr, epoch, percentage,
 * elapsed_time, remaining_time, throughput, total_tokens; absent values are left out.
 *
 * <p>Append-only: each line is written whole in one write and flushed, so a run killed at any
 * moment leaves complete lines (at most the last one missing).
 */
public final class TrainerLogWriter implements Closeable {
    public static final String FILE_NAME = "trainer_log.jsonl";

    private final FileChannel channel;
    private final OutputStream out;
    private final Path file;

    /**
     * Opens output_dir/trainer_log.jsonl for appending. With {@code startAfresh} (overwrite_output_dir,
     * as LogCallback.on_init_end) an existing log is deleted first; otherwise a resumed run appends.
     */
    public TrainerLogWriter(Path outputDir, boolean startAfresh) throws IOException {
        Files.createDirectories(outputDir);
        this.file = outputDir.resolve(FILE_NAME);
        if (startAfresh) {
            Files.deleteIfExists(file);
        }
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        this.out = Channels.newOutputStream(channel);
    }

    /** Appends one JSON line and flushes it to the OS. */
    public synchronized void append(Map<String, ?> line) throws IOException {
        byte[] bytes = (PythonJson.dumps(line) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            out.write(bytes); // one write: an APPEND channel writes it whole at the end
            out.flush();
        } catch (IOException e) {
            throw new io.jtune.util.IoErrors.WriteFailed(file.toString(), e); // a full disk: name the file
        }
    }

    @Override
    public synchronized void close() throws IOException {
        channel.force(true);
        out.close();
    }

    /**
     * One line for a training or evaluation log, from the newest log_history entry, as
     * LogCallback.on_log builds it.
     *
     * @param lastLog        the log_history entry just added (keys loss, eval_loss, learning_rate, epoch, ...)
     * @param currentSteps   global step
     * @param totalSteps     max steps of the run
     * @param elapsedSeconds since training began (this process)
     * @param tokensSeen     input tokens seen so far, 0 when not counted (then throughput and total_tokens are left out)
     */
    public static Map<String, Object> line(Map<String, ?> lastLog, int currentSteps, int totalSteps, double elapsedSeconds,
                                           long tokensSeen) {
        return line(lastLog, List.of(), currentSteps, totalSteps, elapsedSeconds, tokensSeen);
    }

    /**
     * As {@link #line(Map, int, int, double, long)}, and the objective's metrics after epoch under the
     * names they have in lastLog. LogCallback keeps only the few fields its web UI draws; jtune's lines
     * also carry the metrics of objectives beyond cross-entropy, so that a script reading this file
     * sees what the console and TensorBoard show.
     *
     * @param metricKeys the keys of lastLog that are the objective's metrics ("rewards/chosen", "eval_rewards/chosen")
     */
    public static Map<String, Object> line(Map<String, ?> lastLog, Collection<String> metricKeys, int currentSteps, int totalSteps,
                                           double elapsedSeconds, long tokensSeen) {
        Map<String, Object> logs = new LinkedHashMap<>();
        logs.put("current_steps", currentSteps);
        logs.put("total_steps", totalSteps);
        logs.put("loss", lastLog.get("loss"));
        logs.put("eval_loss", lastLog.get("eval_loss"));
        logs.put("predict_loss", lastLog.get("predict_loss"));
        logs.put("reward", lastLog.get("reward"));
        logs.put("accuracy", lastLog.get("rewards/accuracies"));
        logs.put("lr", lastLog.get("learning_rate"));
        logs.put("epoch", lastLog.get("epoch"));
        for (String key : metricKeys) logs.put(key, lastLog.get(key));
        logs.put("percentage", totalSteps != 0 ? PythonJson.round(100.0 * currentSteps / totalSteps, 2) : (Object) 100);
        double perStep = currentSteps != 0 ? elapsedSeconds / currentSteps : 0;
        logs.put("elapsed_time", timedelta(elapsedSeconds));
        logs.put("remaining_time", timedelta((totalSteps - currentSteps) * perStep));
        if (tokensSeen > 0) {
            logs.put("throughput", PythonJson.round(tokensSeen / Math.max(elapsedSeconds, 1e-9), 2));
            logs.put("total_tokens", tokensSeen);
        }
        logs.values().removeIf(java.util.Objects::isNull);
        return logs;
    }

    /** Python's str(timedelta(seconds=int(s))): "0:01:05", "1 day, 2:03:04", "3 days, 0:00:00". */
    public static String timedelta(double seconds) {
        long total = (long) seconds; // int() truncates toward zero, as LogCallback does
        if (total < 0) {
            total = 0; // a negative remaining time cannot happen when current <= total steps
        }
        Duration d = Duration.ofSeconds(total);
        long days = d.toDays();
        String clock = String.format("%d:%02d:%02d", d.toHoursPart(), d.toMinutesPart(), d.toSecondsPart());
        return days == 0 ? clock : days + (days == 1 ? " day, " : " days, ") + clock;
    }
}
