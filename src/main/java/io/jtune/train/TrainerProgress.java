package io.jtune.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a run stands — everything besides weights and optimizer state that a resumed run needs to
 * continue exactly as an uninterrupted one: the step, the position in the data, the dropout
 * counter, and the running sums behind the logged losses. Saved in each checkpoint as
 * {@value #FILE}. Doubles are written with Java's shortest round-trip form, so they read back bit-exact.
 */
public final class TrainerProgress {
    public static final String FILE = "jtune_progress.json";

    int globalStep;
    int epoch;              // the epoch the next micro-batch belongs to
    int nextBatch;          // index of the next micro-batch in that epoch
    long modelStepCounter;  // CausalLM's forward-backward counter (seeds dropout masks)
    double lossTotal;       // sum of step losses so far (train_loss = lossTotal / globalStep)
    double lossSinceLog;    // sum of step losses since the last log line
    int stepsSinceLog;
    long tokensSeen;
    long samplesSeen;

    /** Fractional epoch as HF logs it: whole epochs done plus the share of this epoch's micro-batches consumed. */
    public double epochProgress(int batchesPerEpoch) {
        return epoch + (double) nextBatch / batchesPerEpoch;
    }

    public int globalStep() {
        return globalStep;
    }

    void write(Path dir, long seed) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("global_step", globalStep);
        m.put("epoch", epoch);
        m.put("next_batch", nextBatch);
        m.put("model_step_counter", modelStepCounter);
        m.put("loss_total", Double.toString(lossTotal));
        m.put("loss_since_log", Double.toString(lossSinceLog));
        m.put("steps_since_log", stepsSinceLog);
        m.put("tokens_seen", tokensSeen);
        m.put("samples_seen", samplesSeen);
        m.put("seed", seed);
        AtomicFiles.writeString(dir.resolve(FILE), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
    }

    static TrainerProgress read(Path dir, long expectedSeed) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new JtuneException("resume_from_checkpoint: " + dir + " has no " + FILE + "; it was not written by jtune's trainer");
        }
        try {
            JsonNode n = new ObjectMapper().readTree(file.toFile());
            if (n.path("seed").asLong() != expectedSeed) {
                throw new JtuneException("resume_from_checkpoint: " + dir + " was trained with seed " + n.path("seed").asLong()
                        + ", this run has seed " + expectedSeed + "; resuming would not continue the same run");
            }
            TrainerProgress p = new TrainerProgress();
            p.globalStep = n.get("global_step").asInt();
            p.epoch = n.get("epoch").asInt();
            p.nextBatch = n.get("next_batch").asInt();
            p.modelStepCounter = n.get("model_step_counter").asLong();
            p.lossTotal = Double.parseDouble(n.get("loss_total").asText());
            p.lossSinceLog = Double.parseDouble(n.get("loss_since_log").asText());
            p.stepsSinceLog = n.get("steps_since_log").asInt();
            p.tokensSeen = n.get("tokens_seen").asLong();
            p.samplesSeen = n.get("samples_seen").asLong();
            return p;
        } catch (IOException | NullPointerException | NumberFormatException e) {
            throw new JtuneException(file + ": damaged or incomplete (" + e.getMessage() + ")");
        }
    }
}
