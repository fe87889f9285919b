package io.jtune.model;

import static io.jtune.model.GoldenParityTest.assertClose;
import static io.jtune.model.GoldenParityTest.inputs;
import static io.jtune.model.GoldenParityTest.read;
import static io.jtune.model.GoldenParityTest.weightsOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.tensor.Bnb4BitMatrix;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.Int8RowMatrix;
import io.jtune.tensor.Matrix;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Training and evaluation on quantized base weights against a float64 PyTorch reference run on the
 * same weights dequantized by an independent implementation of bitsandbytes' formats
 * (src/test/python/make_quant_goldens.py): eval loss of the base within 1e-5, and a LoRA step (loss
 * within 1e-5, gradients and the AdamW update within 1e-4), for 4-bit NF4 with and without double
 * quantization, FP4 and 8-bit. A bitsandbytes 4-bit checkpoint written in transformers' layout loads
 * to exactly the reference's dequantized weights.
 */
class QuantizedGoldenTest {
    private static final Path ROOT = Path.of("src/test/resources/goldens/quantized");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"nf4_dq, 4, nf4, true", "nf4, 4, nf4, false", "fp4_dq, 4, fp4, true", "int8, 8, nf4, false"})
    void evalLossAndOneLoraStepMatchFloat64Reference(String name, int bits, String type, boolean doubleQuant) throws IOException {
        Path modelDir = ROOT.resolve("model");
        WeightQuantization q = WeightQuantization.of(bits, type, doubleQuant);
        var lora = new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of());
        try (HfModelDirectory hf = HfModelDirectory.open(modelDir);
             SafetensorsFile adapter = SafetensorsFile.open(modelDir.resolve("lora/adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(ROOT.resolve(name).resolve("expected.safetensors"))) {
            WeightSource weights = QuantizedWeights.over(weightsOf(hf), hf.config(), q);
            Batch batch = inputs(modelDir);

            CausalLM base = InferenceModels.frozen(hf.config(), weights);
            double evalLoss = read(expected, "eval_loss")[0];
            StepLoss eval = base.evaluate(batch);
            assertEquals(evalLoss, eval.mean(), 1e-5 * evalLoss, name + " eval loss");

            CausalLM model = ModelBuilder.build(hf.config(), weights, FinetuneSpec.lora(lora), CausalLM.Options.defaults());
            Matrix qProj = model.baseMatrix("model.layers.0.self_attn.q_proj.weight");
            Class<?> storage = bits == 4 ? Bnb4BitMatrix.class : Int8RowMatrix.class;
            assertEquals(storage, qProj.getClass(), "the quantized base's q_proj storage");
            for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            float[] initial = model.parameterValues().clone();
            model.zeroGrad();
            StepLoss loss = model.forwardBackward(batch, 1f / eval.labelTokens());
            double expectedLoss = read(expected, "loss")[0];
            assertEquals(expectedLoss, loss.mean(), 1e-5 * expectedLoss, name + " loss");
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), read(expected, "lora_grad." + p.name()));
            }
            // The step from jtune's own gradient: the parameters after it within 1e-4.
            float[] own = model.parameterValues().clone();
            float[] ownGrad = model.gradients().clone();
            adamw(own, ownGrad);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " after one step " + p.name(), own, p.offset(), read(expected, "adamw." + p.name()));
            }
            // The update itself from the reference gradient (as GoldenParityTest: a first AdamW update
            // is about lr·sign(g), which turns fp32 rounding of a near-zero gradient element into a
            // visible difference; the gradients are compared above).
            for (TrainableParameter p : model.trainableParameters()) {
                float[] g = read(expected, "lora_grad." + p.name());
                System.arraycopy(g, 0, model.gradients(), p.offset(), g.length);
            }
            adamw(model.parameterValues(), model.gradients());
            for (TrainableParameter p : model.trainableParameters()) {
                float[] want = read(expected, "adamw." + p.name());
                float[] gotUpdate = new float[p.size()], wantUpdate = new float[p.size()];
                for (int i = 0; i < p.size(); i++) {
                    gotUpdate[i] = model.parameterValues()[p.offset() + i] - initial[p.offset() + i];
                    wantUpdate[i] = want[i] - initial[p.offset() + i];
                }
                assertClose(name + " AdamW update " + p.name(), gotUpdate, 0, wantUpdate);
            }
        }
    }

    /** One step of the golden's AdamW (lr 1e-3, weight decay 0.01). */
    private static void adamw(float[] values, float[] grads) {
        new AdamW(values, grads, List.of(new ParamGroup(0, values.length, 0.01)), 0.9, 0.999, 1e-8).step(1e-3);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"prequantized_nf4, NF4", "prequantized_fp4, FP4"})
    void bitsandbytesCheckpointLoadsToTheReferenceWeights(String name, Bnb4BitType type) throws IOException {
        Path dir = ROOT.resolve(name);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            CausalLM model = InferenceModels.frozen(hf.config(), new HfWeightSource(hf));
            for (var t : expected.tensors()) {
                Matrix m = model.baseMatrix(t.name());
                Bnb4BitMatrix q = assertInstanceOf(Bnb4BitMatrix.class, m, t.name());
                assertEquals(type, q.type());
                float[] want = t.toFloatArray();
                float[] row = new float[m.cols()];
                for (int r = 0; r < m.rows(); r++) {
                    m.readRow(r, 0, m.cols(), row, 0);
                    for (int c = 0; c < m.cols(); c++) {
                        assertEquals(Float.floatToRawIntBits(want[r * m.cols() + c]), Float.floatToRawIntBits(row[c]),
                                t.name() + " [" + r + ", " + c + "]");
                    }
                }
            }
        }
    }

    @Test
    void quantizingOnLoadingGivesTheCheckpointsWeights() throws IOException {
        // jtune's own quantization of the bf16 model equals the bitsandbytes-layout checkpoint of it
        try (HfModelDirectory bf16 = HfModelDirectory.open(ROOT.resolve("model"));
             HfModelDirectory pre = HfModelDirectory.open(ROOT.resolve("prequantized_nf4"))) {
            WeightSource quantized = QuantizedWeights.over(weightsOf(bf16), bf16.config(), WeightQuantization.fourBit(Bnb4BitType.NF4, true));
            String name = "model.layers.1.mlp.down_proj.weight";
            Bnb4BitMatrix mine = (Bnb4BitMatrix) quantized.tensor(name), stored = (Bnb4BitMatrix) pre.matrix(name);
            assertEquals(java.util.Arrays.toString(stored.packedCodes()), java.util.Arrays.toString(mine.packedCodes()));
        }
    }
}
