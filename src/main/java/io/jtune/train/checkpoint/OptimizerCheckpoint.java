package io.jtune.train.checkpoint;

import io.jtune.JtuneException;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.train.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The optimizer's state in a checkpoint: its arrays in fp32 (bit-exact) and its step count. */
public final class OptimizerCheckpoint {
    public static final String FILE = "optimizer.safetensors";

    private OptimizerCheckpoint() {}

    public static void save(Optimizer optimizer, Path dir) throws IOException {
        List<TensorToWrite> tensors = new ArrayList<>();
        for (Map.Entry<String, float[]> e : new java.util.TreeMap<>(optimizer.state()).entrySet()) {
            tensors.add(TensorToWrite.ofFloats(e.getKey(), DType.F32, new long[] {e.getValue().length}, e.getValue()));
        }
        SafetensorsWriter.writeFile(dir.resolve(FILE), tensors,
                Map.of("format", "pt", "steps", Long.toString(optimizer.steps())));
    }

    public static void load(Optimizer optimizer, Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) throw new JtuneException("resume_from_checkpoint: " + dir + " has no " + FILE);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (Map.Entry<String, float[]> e : optimizer.state().entrySet()) {
                StoredTensor t = st.find(e.getKey());
                if (t == null || t.elementCount() != e.getValue().length || t.dtype() != DType.F32) {
                    throw new JtuneException(file + ": optimizer state " + e.getKey() + " is missing or does not match the "
                            + e.getValue().length + " trainable parameters (was the checkpoint made with other settings or optim?)");
                }
                Matrix m = t.matrix();
                m.readRow(0, 0, m.cols(), e.getValue(), 0);
            }
            String steps = st.metadata().get("steps");
            if (steps == null) throw new JtuneException(file + ": no step count in its metadata");
            optimizer.restoreSteps(Long.parseLong(steps));
        }
    }
}
