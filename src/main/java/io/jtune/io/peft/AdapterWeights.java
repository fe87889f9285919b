package io.jtune.io.peft;

import io.jtune.JtuneException;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Saves and loads trainable tensors that live in one flat fp32 buffer (the engine's layout) by name:
 * a PEFT adapter's adapter_model.safetensors, or the trainable part of a model in a checkpoint.
 */
public final class AdapterWeights {
    public static final String ADAPTER_FILE = "adapter_model.safetensors";

    /** One named tensor inside a flat buffer; {@code vector} tensors (biases, norms) are saved 1-D as torch has them. */
    public record Slot(String name, int rows, int cols, int offset, boolean vector) {
        int size() {
            return rows * cols;
        }

        long[] shape() {
            return vector ? new long[] {(long) rows * cols} : new long[] {rows, cols};
        }
    }

    private AdapterWeights() {}

    /** Writes every slot of {@code values} to {@code file} in fp32 with HF's safetensors layout. */
    public static void write(Path file, List<Slot> slots, float[] values) throws IOException {
        List<TensorToWrite> tensors = new ArrayList<>(slots.size());
        for (Slot s : slots) {
            float[] data = Arrays.copyOfRange(values, s.offset(), s.offset() + s.size());
            tensors.add(TensorToWrite.ofFloats(s.name(), DType.F32, s.shape(), data));
        }
        SafetensorsWriter.writeFile(file, tensors, SafetensorsWriter.PT_METADATA);
    }

    /**
     * Reads every slot from {@code file} into {@code values}. Each slot must be there with its shape
     * (a 1-D [n] and a [1, n] tensor are the same), and the file must hold nothing else.
     */
    public static void read(Path file, List<Slot> slots, float[] values) {
        if (!Files.isRegularFile(file)) throw new JtuneException(file + ": file not found");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            Set<String> expected = new HashSet<>();
            for (Slot s : slots) {
                expected.add(s.name());
                StoredTensor t = st.find(s.name());
                if (t == null) {
                    throw new JtuneException(file + ": tensor " + s.name() + " is missing (the file has "
                            + st.names().size() + " tensors" + sample(st.names()) + ")");
                }
                if (t.elementCount() != s.size() || !(t.hasShape(s.rows(), s.cols()) || t.hasShape(s.size()))) {
                    throw new JtuneException(file + ": tensor " + s.name() + " has shape " + StoredTensor.shapeString(t.shape())
                            + ", the model expects [" + s.rows() + ", " + s.cols() + "]");
                }
                if (!t.dtype().isComputable()) throw new JtuneException(file + ": tensor " + s.name() + " has dtype " + t.dtype());
                Matrix m = t.matrix();
                int cols = m.cols();
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, cols, values, s.offset() + r * cols);
            }
            Set<String> extra = new TreeSet<>(st.names());
            extra.removeAll(expected);
            if (!extra.isEmpty()) {
                throw new JtuneException(file + ": tensors the model has no place for: " + extra.stream().limit(5).toList()
                        + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : "")
                        + " (was the adapter trained with other lora_target / additional_target settings?)");
            }
        }
    }

    private static String sample(Set<String> names) {
        return names.isEmpty() ? "" : ", e.g. " + names.iterator().next();
    }
}
