package io.jtune.model;

import io.jtune.tensor.Matrix;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a model's weights come from, by Hugging Face tensor name ("model.layers.0.self_attn.q_proj.weight").
 * io.jtune.io.hf.HfModelDirectory plugs in here; tests and benchmarks use {@link RandomWeights}.
 * 1-D tensors (norm weights, biases) come as a Matrix with one row.
 */
public interface WeightSource {
    /** The tensor of that name, or null when the source has none. */
    Matrix tensor(String name);

    /** Every tensor name the source holds (the model rejects names it does not know). */
    Set<String> names();

    /** A short description for error messages, e.g. the checkpoint directory. */
    default String describe() {
        return "the weight source";
    }

    static WeightSource of(Map<String, Matrix> tensors, String description) {
        return new WeightSource() {
            @Override public Matrix tensor(String name) { return tensors.get(name); }
            @Override public Set<String> names() { return new TreeSet<>(tensors.keySet()); }
            @Override public String describe() { return description; }
        };
    }
}
