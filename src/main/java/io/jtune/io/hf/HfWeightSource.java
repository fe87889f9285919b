package io.jtune.io.hf;

import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.WeightSource;
import io.jtune.tensor.Matrix;
import java.util.Set;

/** A model directory's checkpoint as the engine's weight source: zero-copy views of the mapped tensors. */
public final class HfWeightSource implements WeightSource {
    private final HfModelDirectory dir;

    public HfWeightSource(HfModelDirectory dir) {
        this.dir = dir;
    }

    @Override
    public Matrix tensor(String name) {
        StoredTensor t = dir.checkpoint().find(name);
        return t == null ? null : t.matrix();
    }

    @Override
    public Set<String> names() {
        return dir.checkpoint().names();
    }

    @Override
    public String describe() {
        return dir.directory().toString();
    }
}
