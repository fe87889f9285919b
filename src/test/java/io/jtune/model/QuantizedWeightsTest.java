package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.Bnb4BitMatrix;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import org.junit.jupiter.api.Test;

/** Which weights quantization_bit quantizes, and bad values found through the quantized storage. */
class QuantizedWeightsTest {
    private static final WeightQuantization NF4 = WeightQuantization.fourBit(Bnb4BitType.NF4, true);

    @Test
    void onlyTheDecoderLayersLinearWeightsAreQuantized() {
        for (String type : new String[] {"llama", "qwen2", "qwen3"}) {
            ModelConfig c = TinyModels.config(type);
            RandomWeights random = new RandomWeights(c, 7, DType.BF16, 0.3);
            WeightSource weights = QuantizedWeights.over(random, c, NF4);
            for (ModelTensor t : Families.of(c).checkpointTensors(c)) {
                Matrix m = weights.tensor(t.name());
                boolean linearWeight = t.layer() >= 0 && t.role().isLayerLinear() && !t.bias();
                assertEquals(linearWeight, m instanceof Bnb4BitMatrix, type + " " + t.name() + " is " + m.getClass().getSimpleName());
                if (!linearWeight) assertEquals(random.tensor(t.name()), m, t.name() + " passes through as stored");
            }
            // biases (qwen2's q/k/v), norms (qwen3's q/k norms) and the embedding stay as they were
            assertTrue(Families.of(c).checkpointTensors(c).stream().anyMatch(t -> !WeightQuantization.applies(t) && t.layer() >= 0));
        }
    }

    @Test
    void aNonFiniteWeightIsNamedThroughItsQuantizedForm() {
        ModelConfig c = TinyModels.config("llama");
        String name = "model.layers.1.mlp.up_proj.weight";
        float[] bad = new float[24 * 16];
        bad[100] = Float.NaN;
        WeightSource weights = QuantizedWeights.over(new RandomWeights(c, 7, DType.F32, 0.3).with(name, Matrix.of(bad, 24, 16)), c, NF4);
        JtuneException e = assertThrows(JtuneException.class, () -> ModelBuilder.frozen(c, weights));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains("non-finite"), e.getMessage());
    }
}
