package io.jtune.model;

import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.Bnb4BitMatrix;
import io.jtune.tensor.Int8RowMatrix;
import io.jtune.tensor.Matrix;
import java.util.HashSet;
import java.util.Set;

/**
 * A weight source whose decoder-layer linear weights come quantized: each is quantized when the
 * model builder asks for it, one tensor at a time, so the unquantized checkpoint is never held in
 * memory (a memory-mapped tensor is released once read). Weights the source already holds
 * quantized (a pre-quantized checkpoint) pass through as they are.
 */
public final class QuantizedWeights implements WeightSource {
    private final WeightSource base;
    private final Set<String> quantized;
    private final WeightQuantization quantization;

    private QuantizedWeights(WeightSource base, Set<String> quantized, WeightQuantization quantization) {
        this.base = base;
        this.quantized = quantized;
        this.quantization = quantization;
    }

    /** {@code base} with the linear weights of the decoder layers of {@code config}'s family quantized. */
    public static WeightSource over(WeightSource base, ModelConfig config, WeightQuantization quantization) {
        return over(base, Families.of(config), config, quantization);
    }

    public static WeightSource over(WeightSource base, ModelFamily family, ModelConfig config, WeightQuantization quantization) {
        if (quantization == null) return base;
        Set<String> names = new HashSet<>();
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            for (ModelTensor t : family.layerTensors(config, l)) if (WeightQuantization.applies(t)) names.add(t.name());
        }
        return new QuantizedWeights(base, names, quantization);
    }

    @Override
    public Matrix tensor(String name) {
        Matrix m = base.tensor(name);
        if (m == null || !quantized.contains(name) || isQuantized(m)) return m;
        return quantization.quantize(m);
    }

    static boolean isQuantized(Matrix m) {
        return m instanceof Bnb4BitMatrix || m instanceof Int8RowMatrix;
    }

    @Override
    public Set<String> names() {
        return base.names();
    }

    @Override
    public String describe() {
        return base.describe();
    }
}
