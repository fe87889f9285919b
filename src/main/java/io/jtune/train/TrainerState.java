package io.jtune.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HF Trainer's trainer_state.json (in output_dir and in every checkpoint-N): progress counters
 * and log_history, the list of every logged dict (training logs, evaluations, the final summary).
 * Written as TrainerState.save_to_json writes it: indent 2, sorted keys, a final newline.
 */
public final class TrainerState {
    public static final String FILE_NAME = "trainer_state.json";

    private double epoch;
    private int globalStep;
    private int maxSteps;
    private int loggingSteps;
    private int evalSteps;
    private int saveSteps;
    private int numTrainEpochs;
    private int trainBatchSize;
    private long numInputTokensSeen;
    private double totalFlos;
    private Double bestMetric;
    private Integer bestGlobalStep;
    private String bestModelCheckpoint;
    private Integer earlyStoppingPatience;   // null: no EarlyStoppingCallback
    private int earlyStoppingPatienceCounter;
    private boolean stoppedEarly;            // early stopping ended training before max_steps
    private final List<Map<String, Object>> logHistory = new ArrayList<>();

    /** A fresh state for a run: the step intervals, the run length and the batch size per micro-batch. */
    public TrainerState(int maxSteps, int numTrainEpochs, int loggingSteps, int evalSteps, int saveSteps, int trainBatchSize) {
        this.maxSteps = maxSteps;
        this.numTrainEpochs = numTrainEpochs;
        this.loggingSteps = loggingSteps;
        this.evalSteps = evalSteps;
        this.saveSteps = saveSteps;
        this.trainBatchSize = trainBatchSize;
    }

    /** Records progress after an optimizer step. */
    public void advance(int globalStep, double epoch, long numInputTokensSeen, double totalFlos) {
        this.globalStep = globalStep;
        this.epoch = epoch;
        this.numInputTokensSeen = numInputTokensSeen;
        this.totalFlos = totalFlos;
    }

    /** Records where the watched metric stands (best_metric, best_global_step, best_model_checkpoint, the early-stopping counter). */
    public void watch(MetricWatch.State w) {
        bestMetric = w.bestMetric();
        bestGlobalStep = w.bestGlobalStep();
        bestModelCheckpoint = w.bestCheckpoint() == null ? null : w.bestCheckpoint().toString();
        earlyStoppingPatience = w.patience();
        earlyStoppingPatienceCounter = w.patienceCounter();
    }

    /** Early stopping ends training: TrainerControl's should_training_stop is recorded as true, as the callback sets it. */
    public void stopEarly() {
        stoppedEarly = true;
    }

    /** The watched metric's state as recorded (for a resume); a checkpoint written without early stopping has a counter of 0. */
    public MetricWatch.State watchState() {
        return new MetricWatch.State(bestMetric, bestGlobalStep, bestModelCheckpoint == null ? null : Path.of(bestModelCheckpoint),
                earlyStoppingPatience, earlyStoppingPatienceCounter);
    }

    /** Appends a log dict; "step" is added as the Trainer's log() adds it. Returns the stored entry. */
    public Map<String, Object> log(Map<String, ?> logs) {
        Map<String, Object> entry = new LinkedHashMap<>(logs);
        entry.put("step", globalStep);
        logHistory.add(entry);
        return Collections.unmodifiableMap(entry);
    }

    public List<Map<String, Object>> logHistory() {
        return Collections.unmodifiableList(logHistory);
    }

    public int globalStep() {
        return globalStep;
    }

    public double epoch() {
        return epoch;
    }

    public int maxSteps() {
        return maxSteps;
    }

    public long numInputTokensSeen() {
        return numInputTokensSeen;
    }

    public double totalFlos() {
        return totalFlos;
    }

    /** The JSON object HF writes (dataclasses.asdict of TrainerState). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("best_global_step", bestGlobalStep);
        m.put("best_metric", bestMetric);
        m.put("best_model_checkpoint", bestModelCheckpoint);
        m.put("epoch", epoch);
        m.put("eval_steps", evalSteps);
        m.put("global_step", globalStep);
        m.put("is_hyper_param_search", false);
        m.put("is_local_process_zero", true);
        m.put("is_world_process_zero", true);
        m.put("log_history", logHistory);
        m.put("logging_steps", loggingSteps);
        m.put("max_steps", maxSteps);
        m.put("num_input_tokens_seen", numInputTokensSeen);
        m.put("num_train_epochs", numTrainEpochs);
        m.put("save_steps", saveSteps);
        Map<String, Object> controlArgs = new LinkedHashMap<>();
        controlArgs.put("should_epoch_stop", false);
        controlArgs.put("should_evaluate", false);
        controlArgs.put("should_log", false);
        controlArgs.put("should_save", true);
        controlArgs.put("should_training_stop", globalStep >= maxSteps || stoppedEarly);
        Map<String, Object> callbacks = new LinkedHashMap<>();
        if (earlyStoppingPatience != null) {
            // as transformers' EarlyStoppingCallback.state() records itself (jtune's threshold is always 0)
            Map<String, Object> esArgs = new LinkedHashMap<>();
            esArgs.put("early_stopping_patience", earlyStoppingPatience);
            esArgs.put("early_stopping_threshold", 0.0);
            callbacks.put("EarlyStoppingCallback", Map.of("args", esArgs,
                    "attributes", Map.of("early_stopping_patience_counter", earlyStoppingPatienceCounter)));
        }
        callbacks.put("TrainerControl", Map.of("args", controlArgs, "attributes", Map.of()));
        m.put("stateful_callbacks", callbacks);
        m.put("total_flos", totalFlos);
        m.put("train_batch_size", trainBatchSize);
        m.put("trial_name", null);
        m.put("trial_params", null);
        return m;
    }

    /** Writes dir/trainer_state.json atomically. */
    public void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE_NAME), PythonJson.dumps(toMap(), PythonJson.Options.DEFAULT.withIndent(2).withSortedKeys()) + "\n");
    }

    /** Reads a trainer_state.json written by jtune or by the HF Trainer (to resume or to plot). */
    public static TrainerState read(Path file) {
        Map<String, Object> m;
        try {
            m = new ObjectMapper().readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new JtuneException(file + " not found");
        } catch (IOException e) {
            throw new JtuneException(file + " is not a valid trainer_state.json: " + e.getMessage(), e);
        }
        try {
            TrainerState s = new TrainerState(intOf(m, "max_steps"), intOf(m, "num_train_epochs"), intOf(m, "logging_steps"),
                    intOf(m, "eval_steps"), intOf(m, "save_steps"), intOf(m, "train_batch_size"));
            s.advance(intOf(m, "global_step"), ((Number) m.getOrDefault("epoch", 0.0)).doubleValue(),
                    ((Number) m.getOrDefault("num_input_tokens_seen", 0)).longValue(),
                    ((Number) m.getOrDefault("total_flos", 0)).doubleValue());
            if (m.get("best_metric") instanceof Number best) s.bestMetric = best.doubleValue();
            if (m.get("best_global_step") instanceof Number step) s.bestGlobalStep = step.intValue();
            if (m.get("best_model_checkpoint") instanceof String dir) s.bestModelCheckpoint = dir;
            readEarlyStopping(s, m.get("stateful_callbacks"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> history = (List<Map<String, Object>>) m.getOrDefault("log_history", List.of());
            for (Map<String, Object> entry : history) {
                s.logHistory.add(new LinkedHashMap<>(entry));
            }
            return s;
        } catch (ClassCastException e) {
            throw new JtuneException(file + " is not a valid trainer_state.json: a field has the wrong type", e);
        }
    }

    private static void readEarlyStopping(TrainerState s, Object callbacks) {
        if (callbacks instanceof Map<?, ?> all && all.get("EarlyStoppingCallback") instanceof Map<?, ?> es) {
            if (es.get("args") instanceof Map<?, ?> args && args.get("early_stopping_patience") instanceof Number p) {
                s.earlyStoppingPatience = p.intValue();
            }
            if (es.get("attributes") instanceof Map<?, ?> attrs && attrs.get("early_stopping_patience_counter") instanceof Number n) {
                s.earlyStoppingPatienceCounter = n.intValue();
            }
        }
    }

    private static int intOf(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n.intValue() : 0;
    }

    /** Whether a file exists where a trainer_state.json is expected. */
    public static boolean existsIn(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE_NAME));
    }
}
