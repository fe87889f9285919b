package io.jtune.io.hf;

import io.jtune.model.WeightSource;
import io.jtune.tensor.Matrix;
import java.util.Set;

/**
 * A model directory's checkpoint as the engine's weight source: zero-copy views of the mapped tensors,
 * and a bitsandbytes 4-bit checkpoint's quantized weights as they are stored.
 */
public final class HfWeightSource implements WeightSource {
    private final HfModelDirectory dir;

    public HfWeightSource(HfModelDirectory dir) {
        this.dir = dir;
    }

    /**
     * The weight by its canonical HF name, in the engine's [out x in] layout (a Conv1D weight
     * transposed, a tensor saved without the base model's prefix found under its full name).
     */
    @Override
    public Matrix tensor(String name) {
        return dir.has(name) ? dir.matrix(name) : null;
    }

    /**
     * The model's weights by canonical name (the directory has checked that the checkpoint holds
     * nothing else but ignorable buffers and a bitsandbytes checkpoint's quantization state).
     */
    @Override
    public Set<String> names() {
        return dir.tensorNames();
    }

    @Override
    public String describe() {
        return dir.directory().toString();
    }
}
