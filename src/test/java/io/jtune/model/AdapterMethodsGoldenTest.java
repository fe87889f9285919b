package io.jtune.model;

import static io.jtune.model.GoldenParityTest.assertClose;
import static io.jtune.model.GoldenParityTest.checkForwardBackward;
import static io.jtune.model.GoldenParityTest.inputs;
import static io.jtune.model.GoldenParityTest.read;
import static io.jtune.model.GoldenParityTest.weightsOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DoRA, PiSSA and LoRA+ against the float64 PyTorch reference of PEFT's and LLaMA-Factory's formulas
 * (src/test/python/make_adapter_goldens.py, over the qwen2 golden case): loss within 1e-5, logits,
 * gradients and updates within 1e-4 (relative norm of the difference), and the saved files' keys and shapes.
 */
class AdapterMethodsGoldenTest {
    private static final Path QWEN2 = Path.of("src/test/resources/goldens/qwen2");
    private static final Path DORA = Path.of("src/test/resources/goldens/adapters/dora");
    private static final Path PISSA = Path.of("src/test/resources/goldens/adapters/pissa");
    private static final FinetuneSpec.Lora LORA = new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of());

    private static CausalLM build(HfModelDirectory hf, FinetuneSpec.Lora lora, boolean checkpointing) {
        return ModelBuilder.build(hf.config(), weightsOf(hf), FinetuneSpec.lora(lora), new CausalLM.Options(checkpointing, 42));
    }

    private static void loadGoldenAdapter(CausalLM model, SafetensorsFile adapter) {
        for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
    }

    @Test
    void doraLossAndGradientsMatchPeft() throws IOException {
        for (boolean checkpointing : List.of(false, true)) {
            try (HfModelDirectory hf = HfModelDirectory.open(QWEN2);
                 SafetensorsFile adapter = SafetensorsFile.open(DORA.resolve("adapter_model.safetensors"));
                 SafetensorsFile expected = SafetensorsFile.open(DORA.resolve("expected.safetensors"))) {
                CausalLM model = build(hf, LORA.withDora(true), checkpointing);
                assertEquals(2 * 7 * 3, model.trainableParameters().size(), "A, B and the magnitude per module");
                loadGoldenAdapter(model, adapter);
                checkForwardBackward(model, inputs(QWEN2), expected);
                for (TrainableParameter p : model.trainableParameters()) {
                    assertClose("checkpointing " + checkpointing + " grad " + p.name(), model.gradients(), p.offset(),
                            read(expected, "grad." + p.name()));
                }
            }
        }
    }

    @Test
    void doraMagnitudeStartsAtTheRowNormsAndMergesAsPeft() throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2);
             SafetensorsFile adapter = SafetensorsFile.open(DORA.resolve("adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(DORA.resolve("expected.safetensors"))) {
            CausalLM model = build(hf, LORA.withDora(true), false);
            // A new DoRA adapter (B = 0) is the base model: same log-probabilities.
            CausalLM base = ModelBuilder.frozen(hf.config(), weightsOf(hf));
            Batch batch = inputs(QWEN2);
            assertClose("fresh DoRA = base", logProbs(model.forward(batch, false)), 0,
                    logProbs(base.forward(batch, null, false, null)));

            loadGoldenAdapter(model, adapter);
            for (DecoderLayer layer : model.adapter().weights().layers) {
                for (LinearModule m : layer.modules) {
                    DoraFactors dora = (DoraFactors) m.adapter;
                    dora.initialiseMagnitude(io.jtune.nn.Kernels.CPU);   // PEFT's initial magnitude for these A and B
                    assertClose("initial magnitude " + dora.magnitude.name, dora.magnitude.data, dora.magnitude.offset,
                            read(expected, "init_magnitude." + dora.magnitude.name));
                }
            }
            loadGoldenAdapter(model, adapter);
            for (DecoderLayer layer : model.adapter().weights().layers) {
                for (LinearModule m : layer.modules) {
                    String name = m.path + ".weight";
                    assertClose("merged " + name, model.mergedWeight(name), 0, read(expected, "merged." + name));
                }
            }
        }
    }

    @Test
    void doraAdapterFilesHavePeftsKeysAndShapesAndLoadBack(@TempDir Path tmp) throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2);
             SafetensorsFile golden = SafetensorsFile.open(DORA.resolve("adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(DORA.resolve("expected.safetensors"))) {
            CausalLM model = build(hf, LORA.withDora(true), false);
            loadGoldenAdapter(model, golden);
            Path saved = tmp.resolve("saved");
            java.nio.file.Files.createDirectories(saved);
            PeftAdapters.writeWeights(model.trainable(), saved.resolve("adapter_model.safetensors"));
            new LoraAdapterConfig(4, 8, 0, model.adapter().targetModules(), false, List.of(), "qwen2")
                    .withMethod(true, "true").write(saved);
            try (SafetensorsFile mine = SafetensorsFile.open(saved.resolve("adapter_model.safetensors"))) {
                assertEquals(new TreeSet<>(golden.names()), new TreeSet<>(mine.names()));
                for (String name : golden.names()) {
                    assertArrayEquals(golden.find(name).shape(), mine.find(name).shape(), name);
                }
                StoredTensor magnitude = mine.find("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector");
                assertArrayEquals(new long[] {32}, magnitude.shape(), "1-D [out], as PEFT saves it");
            }
            JsonNode config = new ObjectMapper().readTree(saved.resolve("adapter_config.json").toFile());
            assertTrue(config.get("use_dora").asBoolean());

            // PEFT's own folder (the golden) and jtune's both load back to the same model.
            CausalLM base = ModelBuilder.frozen(hf.config(), weightsOf(hf));
            Batch batch = inputs(QWEN2);
            float[] want = logProbs(model.forward(batch, false));
            for (Path dir : List.of(DORA, saved)) {
                LoraAdapter loaded = PeftAdapters.load(base, "dora", dir);
                assertTrue(loaded.config().useDora());
                assertClose("loaded " + dir, logProbs(base.forward(batch, loaded, false, null)), 0, want);
            }
        }
    }

    @Test
    void loraPlusStepMatchesAdamWWithLlamaFactorysGroups() throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2);
             SafetensorsFile adapter = SafetensorsFile.open(DORA.resolve("adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(DORA.resolve("expected.safetensors"))) {
            CausalLM model = build(hf, LORA.withDora(true), false);
            loadGoldenAdapter(model, adapter);
            float[] initial = model.parameterValues().clone();
            List<ParamGroup> groups = ParamGroup.loraPlus(model.trainableParameters(), 0.01, 1e-3, 16.0, 1e-6);
            for (ParamGroup g : groups) assertTrue(g.lrScale() == 1.0 || g.lrScale() == 16.0, g.toString());
            for (TrainableParameter p : model.trainableParameters()) {
                float[] g = read(expected, "grad." + p.name());
                System.arraycopy(g, 0, model.gradients(), p.offset(), g.length);
            }
            AdamW adamw = new AdamW(model.parameterValues(), model.gradients(), groups, 0.9, 0.999, 1e-8);
            adamw.step(0.5 * 1e-3);   // the schedule at half the peak: every group at half its own lr
            for (TrainableParameter p : model.trainableParameters()) {
                float[] want = read(expected, "loraplus." + p.name());
                float[] gotUpdate = new float[p.size()], wantUpdate = new float[p.size()];
                for (int i = 0; i < p.size(); i++) {
                    gotUpdate[i] = model.parameterValues()[p.offset() + i] - initial[p.offset() + i];
                    wantUpdate[i] = want[i] - initial[p.offset() + i];
                }
                assertClose("LoRA+ " + p.name(), gotUpdate, 0, wantUpdate);
            }
        }
    }

    @Test
    void pissaInitialisationLossAndGradientsMatchPeft() throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2);
             SafetensorsFile expected = SafetensorsFile.open(PISSA.resolve("expected.safetensors"))) {
            CausalLM model = build(hf, LORA.withPissa(new FinetuneSpec.Pissa(-1)), false);
            float[] values = model.parameterValues();
            // A singular pair's sign is LAPACK's choice: align each component with the reference's before comparing.
            List<float[]> signs = new ArrayList<>();
            for (TrainableParameter p : model.trainableParameters()) {
                if (!p.name().contains(".lora_A.")) continue;
                float[] want = read(expected, "a." + p.name());
                float[] sign = new float[p.rows()];
                for (int r = 0; r < p.rows(); r++) {
                    double dot = 0;
                    for (int c = 0; c < p.cols(); c++) dot += (double) values[p.offset() + r * p.cols() + c] * want[r * p.cols() + c];
                    sign[r] = dot < 0 ? -1 : 1;
                }
                signs.add(sign);
            }
            float[] aligned = alignSigns(model, values, signs);
            for (TrainableParameter p : model.trainableParameters()) {
                String kind = p.name().contains(".lora_A.") ? "a." : "b.";
                assertClose("PiSSA " + p.name(), aligned, p.offset(), read(expected, kind + p.name()));
            }
            for (DecoderLayer layer : model.adapter().weights().layers) {
                for (LinearModule m : layer.modules) {
                    float[] residual = new float[m.out() * m.in()];
                    for (int r = 0; r < m.out(); r++) m.weight.matrix.readRow(r, 0, m.in(), residual, r * m.in());
                    assertClose("residual " + m.path, residual, 0, read(expected, "residual." + m.path + ".weight"));
                }
            }
            checkForwardBackward(model, inputs(QWEN2), expected);
            float[] grads = alignSigns(model, model.gradients(), signs);
            for (TrainableParameter p : model.trainableParameters()) {
                assertClose("PiSSA grad " + p.name(), grads, p.offset(), read(expected, "grad." + p.name()));
            }
            // The base stays as loaded: only the adapter's view holds the residual.
            CausalLM base = ModelBuilder.frozen(hf.config(), weightsOf(hf));
            assertClose("merged = W", model.mergedWeight("model.layers.1.mlp.up_proj.weight"), 0,
                    base.mergedWeight("model.layers.1.mlp.up_proj.weight", null));
        }
    }

    private static float[] logProbs(ForwardOutput out) {
        double[] lp = out.tokenLogProbs();
        float[] f = new float[lp.length];
        for (int i = 0; i < lp.length; i++) f[i] = (float) lp[i];
        return f;
    }

    /** A copy of values with each LoRA component's A row and B column multiplied by its sign. */
    private static float[] alignSigns(CausalLM model, float[] values, List<float[]> signs) {
        float[] out = values.clone();
        int module = -1;
        for (TrainableParameter p : model.trainableParameters()) {
            boolean isA = p.name().contains(".lora_A.");
            if (isA) module++;
            float[] sign = signs.get(module);
            for (int r = 0; r < p.rows(); r++) {
                for (int c = 0; c < p.cols(); c++) out[p.offset() + r * p.cols() + c] *= sign[isA ? r : c];
            }
        }
        return out;
    }

    @Test
    void pissaConversionWritesPeftsTensors(@TempDir Path tmp) throws IOException {
        try (HfModelDirectory hf = HfModelDirectory.open(QWEN2);
             SafetensorsFile golden = SafetensorsFile.open(PISSA.resolve("conversion.safetensors"))) {
            CausalLM model = build(hf, LORA, false);
            List<TrainableParameter> params = model.trainableParameters();
            float[] initial = new float[model.parameterValues().length], trained = initial.clone();
            for (TrainableParameter p : params) {
                System.arraycopy(read(golden, "initial." + p.name()), 0, initial, p.offset(), p.size());
                System.arraycopy(read(golden, "trained." + p.name()), 0, trained, p.offset(), p.size());
            }
            LoraAdapterConfig config = LoraAdapterConfig.read(PISSA);
            io.jtune.io.peft.PissaConversion.write(tmp, params, trained, initial, config);
            try (SafetensorsFile converted = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
                assertEquals(params.size(), converted.names().size());
                for (TrainableParameter p : params) {
                    StoredTensor want = golden.find("converted." + p.name());
                    assertArrayEquals(want.shape(), converted.find(p.name()).shape(), p.name());
                    assertArrayEquals(read(golden, "converted." + p.name()), read(converted, p.name()), 0f, p.name());
                }
            }
            LoraAdapterConfig written = LoraAdapterConfig.read(tmp);
            assertEquals(2 * config.r(), written.r());
            assertEquals(2 * config.loraAlpha(), written.loraAlpha());
            assertEquals("true", written.initLoraWeights());
        }
    }

    @Test
    void goldenPissaConfigNamesPeftsInitialisation() throws IOException {
        LoraAdapterConfig config = LoraAdapterConfig.read(PISSA);
        assertEquals("pissa", config.initLoraWeights());
        assertEquals(new FinetuneSpec.Pissa(-1), PeftAdapters.spec(config).pissa());
        assertEquals(new FinetuneSpec.Pissa(16), FinetuneSpec.Pissa.fromInitLoraWeights("pissa_niter_16"));
        assertEquals(null, FinetuneSpec.Pissa.fromInitLoraWeights("true"));
        assertTrue(Arrays.asList(PISSA.toFile().list()).contains("adapter_config.json"));
    }
}
