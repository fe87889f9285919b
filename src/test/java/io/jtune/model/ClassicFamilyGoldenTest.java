package io.jtune.model;

import static io.jtune.model.GoldenParityTest.assertClose;
import static io.jtune.model.GoldenParityTest.checkForwardBackward;
import static io.jtune.model.GoldenParityTest.inputs;
import static io.jtune.model.GoldenParityTest.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity of the LayerNorm families (GPT-2, ...) with their float64 PyTorch references
 * (src/test/python/make_goldens_classic.py, cases in goldens/classic_cases.json): logits, loss and
 * full gradients; LoRA gradients and two AdamW steps. The checkpoints load through
 * {@link HfWeightSource}, as a user's would: Conv1D weights transposed, names without the base
 * model's prefix found, causal-mask buffers skipped.
 */
class ClassicFamilyGoldenTest {
    private static final Path ROOT = Path.of("src/test/resources/goldens");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> cases() throws IOException {
        List<String> names = new ArrayList<>();
        for (JsonNode c : JSON.readTree(ROOT.resolve("classic_cases.json").toFile()).get("cases")) names.add(c.get("name").asText());
        return names.stream();
    }

    /** The golden's name of a parameter: as the reference's checkpoint spelled it (perhaps without "transformer."). */
    private static String goldenName(SafetensorsFile expected, String prefix, String name) {
        if (expected.find(prefix + name) != null) return prefix + name;
        return prefix + name.substring(name.indexOf('.') + 1);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fullFineTuning(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), new HfWeightSource(hf), FinetuneSpec.full(), CausalLM.Options.defaults());
            checkForwardBackward(model, inputs(dir), expected);
            for (TrainableParameter p : model.trainableParameters()) {
                float[] want = read(expected, goldenName(expected, "grad.", p.name()));
                if (hf.expectedTensors().stream().anyMatch(t -> t.name().equals(p.name()) && t.transposed())) {
                    want = transpose(want, p.cols(), p.rows());   // the reference's gradient has Conv1D's [in, out]
                }
                assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), want);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void loraWithTwoAdamWSteps(String name) throws IOException {
        Path dir = ROOT.resolve(name), adapterDir = dir.resolve("lora");
        JsonNode adapterConfig = JSON.readTree(adapterDir.resolve("adapter_config.json").toFile());
        var lora = new FinetuneSpec.Lora(adapterConfig.get("r").asInt(), adapterConfig.get("lora_alpha").asDouble(), 0.0,
                List.of("all"), false, List.of());
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(adapterDir.resolve("expected.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), new HfWeightSource(hf), FinetuneSpec.lora(lora), CausalLM.Options.defaults());
            // lora_target all: c_attn, attn.c_proj, c_fc, mlp.c_proj in both layers, A and B each.
            assertEquals(2 * 4 * 2, model.trainableParameters().size());
            for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            float[] initial = model.parameterValues().clone();
            Batch batch = inputs(dir);
            checkForwardBackward(model, batch, expected);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), read(expected, "lora_grad." + p.name()));
            }
            AdamW adamw = new AdamW(model.parameterValues(), model.gradients(),
                    List.of(new ParamGroup(0, model.parameterValues().length, 0.01)), 0.9, 0.999, 1e-8);
            float labels = read(expected, "num_label_tokens")[0];
            for (String step : List.of("adamw.", "adamw2.")) {
                if (step.equals("adamw.")) {
                    for (TrainableParameter p : model.trainableParameters()) {   // as GoldenParityTest: step 1 from the exact gradient
                        float[] grad = read(expected, "lora_grad." + p.name());
                        System.arraycopy(grad, 0, model.gradients(), p.offset(), grad.length);
                    }
                } else {
                    model.zeroGrad();
                    model.forwardBackward(batch, 1f / labels);
                }
                adamw.step(1e-3);
                for (TrainableParameter p : model.trainableParameters()) {
                    float[] want = read(expected, step + p.name());
                    float[] got = new float[p.size()], wanted = new float[p.size()];
                    for (int i = 0; i < p.size(); i++) {
                        got[i] = model.parameterValues()[p.offset() + i] - initial[p.offset() + i];
                        wanted[i] = want[i] - initial[p.offset() + i];
                    }
                    assertClose(name + " " + step + p.name(), got, 0, wanted);
                }
            }
        }
    }

    /** [rows x cols] row-major → [cols x rows]. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
        return out;
    }
}
