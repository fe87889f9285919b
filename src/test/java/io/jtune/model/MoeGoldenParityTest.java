package io.jtune.model;

import static io.jtune.model.GoldenParityTest.checkForwardBackward;
import static io.jtune.model.GoldenParityTest.inputs;
import static io.jtune.model.GoldenParityTest.read;
import static io.jtune.model.GoldenParityTest.weightsOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.model.arch.ModelTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sparse Mixture-of-Experts families against their float64 PyTorch reference
 * (src/test/python/make_moe_goldens.py): logits, loss and every gradient of full fine-tuning and of
 * LoRA on every linear module (router and experts included), for mixtral, qwen2_moe (a dense
 * mlp_only layer, the shared expert) and qwen3_moe.
 */
class MoeGoldenParityTest {
    static final Path ROOT = Path.of("src/test/resources/goldens");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> cases() throws IOException {
        List<String> names = new ArrayList<>();
        for (JsonNode c : JSON.readTree(ROOT.resolve("moe_cases.json").toFile()).get("cases")) names.add(c.get("name").asText());
        return names.stream();
    }

    /**
     * {@link GoldenParityTest#assertClose}, and exactly zero where the reference is: an expert that no
     * token chose gets no gradient.
     */
    static void assertClose(String what, float[] actual, int off, float[] expected) {
        boolean zero = true;
        for (float v : expected) zero &= v == 0f;
        if (!zero) {
            GoldenParityTest.assertClose(what, actual, off, expected);
            return;
        }
        for (int i = 0; i < expected.length; i++) assertTrue(actual[off + i] == 0f, what + ": expected no gradient");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fullFineTuning(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.full(), CausalLM.Options.defaults());
            checkForwardBackward(model, inputs(dir), expected);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), read(expected, "grad." + p.name()));
            }
        }
    }

    /** Gradient checkpointing reruns each MoE block before its backward: the same gradients. */
    @ParameterizedTest
    @MethodSource("cases")
    void fullFineTuningWithGradientCheckpointing(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.full(), new CausalLM.Options(true, 42));
            checkForwardBackward(model, inputs(dir), expected);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), read(expected, "grad." + p.name()));
            }
        }
    }

    /**
     * moe_aux_loss_coef: the reference's loss + coef · load_balancing_loss over all sparse layers,
     * its value and every gradient, with and without gradient checkpointing; and the loss an
     * objective reports includes it.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void routerAuxLoss(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        double coef = auxCoef(name);
        for (boolean checkpointing : new boolean[] {false, true}) {
            try (HfModelDirectory hf = HfModelDirectory.open(dir);
                 SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected_aux.safetensors"))) {
                CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.full(), new CausalLM.Options(checkpointing, 42));
                model.setRouterAuxLossCoef(coef);
                Batch batch = inputs(dir);
                float labels = read(expected, "num_label_tokens")[0];
                float[] weights = new float[batch.tokens()];
                java.util.Arrays.fill(weights, 1f / labels);
                model.zeroGrad();
                ForwardOutput out = model.forwardBackward(batch, null, weights);
                double aux = read(expected, "aux_loss")[0];
                assertEquals(aux, out.routerAuxLoss(), 1e-5 * aux, name + " aux loss");
                for (TrainableParameter p : model.trainableParameters()) {
                    assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), read(expected, "grad." + p.name()));
                }
                var runner = new io.jtune.train.objective.ObjectiveRunner(model, new io.jtune.train.objective.TokenCrossEntropy());
                model.zeroGrad();
                double reported = runner.train(batch, 1f / labels).sum() / labels;
                double total = read(expected, "total_loss")[0];
                assertEquals(total, reported, 1e-5 * total, name + " loss reported with the aux loss");
            }
        }
    }

    /**
     * The two-pass path an objective without fixed token weights takes (forward, then backward from
     * ∂loss/∂log p): the same gradients, the aux loss's included.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void forwardThenBackwardWithTheAuxLoss(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected_aux.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.full(), CausalLM.Options.defaults());
            model.setRouterAuxLossCoef(auxCoef(name));
            Batch batch = inputs(dir);
            float labels = read(expected, "num_label_tokens")[0];
            model.zeroGrad();
            ForwardOutput out = model.forward(batch, true);
            float[] dLogProbs = new float[batch.tokens()];
            java.util.Arrays.fill(dLogProbs, -1f / labels);
            model.backward(out, dLogProbs, null);
            assertEquals(read(expected, "aux_loss")[0], out.routerAuxLoss(), 1e-5 * read(expected, "aux_loss")[0]);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " grad " + p.name(), model.gradients(), p.offset(), read(expected, "grad." + p.name()));
            }
        }
    }

    static double auxCoef(String name) throws IOException {
        for (JsonNode c : JSON.readTree(ROOT.resolve("moe_cases.json").toFile()).get("cases")) {
            if (c.get("name").asText().equals(name)) return c.get("aux_coef").asDouble();
        }
        throw new IllegalArgumentException(name);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void loraOnEveryLinearModule(String name) throws IOException {
        Path dir = ROOT.resolve(name), adapterDir = dir.resolve("lora");
        JsonNode adapterConfig = JSON.readTree(adapterDir.resolve("adapter_config.json").toFile());
        var lora = new FinetuneSpec.Lora(adapterConfig.get("r").asInt(), adapterConfig.get("lora_alpha").asDouble(), 0.0,
                List.of("all"), false, List.of());
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(adapterDir.resolve("expected.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.lora(lora), CausalLM.Options.defaults());
            long linear = 0;
            for (int l = 0; l < hf.config().numHiddenLayers(); l++) {
                for (ModelTensor t : model.family().layerTensors(hf.config(), l)) if (t.role().isLayerLinear() && !t.bias()) linear++;
            }
            // lora_target all: A and B on every linear module, the routers and the experts' projections included.
            assertEquals(2 * linear, model.trainableParameters().size());
            assertEquals(adapter.names().size(), model.trainableParameters().size());
            for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            checkForwardBackward(model, inputs(dir), expected);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose(name + " lora grad " + p.name(), model.gradients(), p.offset(), read(expected, "lora_grad." + p.name()));
            }
        }
    }
}
