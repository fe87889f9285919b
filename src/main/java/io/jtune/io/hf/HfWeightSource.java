package io.jtune.io.hf;

import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.WeightSource;
import io.jtune.tensor.Matrix;
import java.util.LinkedHashSet;
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

    @Override
    public Matrix tensor(String name) {
        if (dir.isPrequantized(name)) return dir.matrix(name);
        StoredTensor t = dir.checkpoint().find(name);
        return t == null ? null : t.matrix();
    }

    /** The checkpoint's tensors, less the quantization state of a bitsandbytes checkpoint's weights. */
    @Override
    public Set<String> names() {
        if (!dir.prequantized()) return dir.checkpoint().names();
        Set<String> names = new LinkedHashSet<>();
        for (String n : dir.checkpoint().names()) if (!BnbPrequantized.isAuxiliary(n)) names.add(n);
        return names;
    }

    @Override
    public String describe() {
        return dir.directory().toString();
    }
}
