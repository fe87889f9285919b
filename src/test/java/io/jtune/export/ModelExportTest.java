package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `jtune export` merging a LoRA adapter: logits of the merged folder equal base + adapter, files as LLaMA-Factory writes them. */
class ModelExportTest {
    @TempDir static Path shared;
    static Path fp32, bf16, fp32Adapter, bf16Adapter;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModels() throws IOException {
        fp32 = shared.resolve("tiny-fp32");
        bf16 = shared.resolve("tiny-bf16");
        ExportFixtures.fp32Model(fp32);
        ExportFixtures.bf16Copy(fp32, bf16);
        fp32Adapter = shared.resolve("adapter-fp32");
        bf16Adapter = shared.resolve("adapter-bf16");
        for (Path[] p : new Path[][] {{fp32, fp32Adapter}, {bf16, bf16Adapter}}) {
            try (HfModelDirectory base = HfModelDirectory.open(p[0])) {
                ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, ExportFixtures.LORA, 3), ExportFixtures.LORA, p[1], p[0]);
            }
        }
    }

    static ModelExport.Result export(Path configDir, String yaml, String... overrides) throws IOException {
        Path file = configDir.resolve("export.yaml");
        Files.writeString(file, yaml);
        return new ModelExport(ConfigLoader.load(file, List.of(overrides)), new PrintStream(new ByteArrayOutputStream())).run();
    }

    static String yaml(Path model, Path adapter, Path out) {
        return "model_name_or_path: " + model + "\n"
                + (adapter == null ? "" : "adapter_name_or_path: " + adapter + "\n")
                + "template: chatml\nfinetuning_type: lora\nexport_dir: " + out + "\nexport_size: 5\nexport_device: cpu\n";
    }

    /** Logits of base + adapter (unmerged, LoRA applied in the forward pass) and of the merged folder. */
    static float[][] logits(Path base, Path adapter, Path merged) {
        return logits(base, adapter, merged, ExportFixtures.LORA);
    }

    static float[][] logits(Path base, Path adapter, Path merged, FinetuneSpec.Lora spec) {
        Batch batch;
        float[] withAdapter, plainBase;
        try (HfModelDirectory dir = HfModelDirectory.open(base)) {
            batch = ExportFixtures.batch(dir.config().vocabSize());
            CausalLM lora = ModelBuilder.build(dir.config(), new HfWeightSource(dir), FinetuneSpec.lora(spec),
                    new CausalLM.Options(false, 1));
            new io.jtune.train.checkpoint.FlatWeightsCheckpoint(lora, io.jtune.io.peft.AdapterWeights.ADAPTER_FILE).load(adapter);
            withAdapter = lora.forwardLogits(batch);
            plainBase = ModelBuilder.build(dir.config(), new HfWeightSource(dir), FinetuneSpec.full(), CausalLM.Options.defaults())
                    .forwardLogits(batch);
        }
        try (HfModelDirectory dir = HfModelDirectory.open(merged)) {
            float[] mergedLogits = ModelBuilder.build(dir.config(), new HfWeightSource(dir), FinetuneSpec.full(), CausalLM.Options.defaults())
                    .forwardLogits(batch);
            return new float[][] {withAdapter, mergedLogits, plainBase};
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void fp32MergedLogitsEqualBasePlusAdapter() throws IOException {
        Path out = shared.resolve("merged-fp32");
        export(shared, yaml(fp32, fp32Adapter, out));
        float[][] l = logits(fp32, fp32Adapter, out);
        double adapterEffect = maxAbsDiff(l[0], l[2]);
        double mergeError = maxAbsDiff(l[0], l[1]);
        assertTrue(adapterEffect > 0.05, "the adapter must change the logits, changed by " + adapterEffect);
        assertTrue(mergeError < 1e-5, "fp32 merge error " + mergeError + " (adapter effect " + adapterEffect + ")");
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            assertEquals(DType.F32, merged.tensor("model.layers.0.self_attn.q_proj.weight").dtype());
            assertEquals(DType.F32, merged.config().dtype());
        }
    }

    /** DoRA merges as PEFT does (rows rescaled to the magnitude); PiSSA's merge is over the residual it re-derives. */
    @Test
    void doraAndPissaAdaptersMergeIntoTheModelTheyMake() throws IOException {
        var dora = ExportFixtures.LORA.withDora(true);
        var pissa = ExportFixtures.LORA.withPissa(new FinetuneSpec.Pissa(4));
        for (FinetuneSpec.Lora spec : List.of(dora, pissa)) {
            String method = spec.useDora() ? "dora" : "pissa";
            Path adapter = shared.resolve("adapter-" + method), out = shared.resolve("merged-" + method);
            try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
                CausalLM model = ExportFixtures.loraModel(base, spec, 3);
                ExportFixtures.saveAdapter(model, ExportFixtures.LORA, adapter, fp32);
                var config = io.jtune.io.peft.LoraAdapterConfig.read(adapter)
                        .withMethod(spec.useDora(), spec.pissa() == null ? "true" : spec.pissa().initLoraWeights());
                config.write(adapter);
            }
            export(shared, yaml(fp32, adapter, out));
            float[][] l = logits(fp32, adapter, out, spec);
            assertTrue(maxAbsDiff(l[0], l[2]) > 0.05, method + " changes the logits");
            assertTrue(maxAbsDiff(l[0], l[1]) < 1e-5, method + " merge error " + maxAbsDiff(l[0], l[1]));
        }
    }

    @Test
    void bf16MergedLogitsEqualBasePlusAdapterWithinBf16Rounding() throws IOException {
        Path out = shared.resolve("merged-bf16");
        export(shared, yaml(bf16, bf16Adapter, out));
        float[][] l = logits(bf16, bf16Adapter, out);
        double adapterEffect = maxAbsDiff(l[0], l[2]);
        double mergeError = maxAbsDiff(l[0], l[1]);
        // the merged weight W + scale·B·A is rounded to bf16 (8 significant bits) once more
        assertTrue(adapterEffect > 0.05, "the adapter must change the logits, changed by " + adapterEffect);
        assertTrue(mergeError < adapterEffect / 30 && mergeError < 0.01, "bf16 merge error " + mergeError + " (adapter effect " + adapterEffect + ")");
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            assertEquals(DType.BF16, merged.tensor("model.layers.1.mlp.down_proj.weight").dtype());
            assertEquals(DType.BF16, merged.tensor("model.norm.weight").dtype());
            assertEquals("bfloat16", JSON.readTree(out.resolve("config.json").toFile()).path("torch_dtype").asText());
        }
    }

    @Test
    void writesTokenizerWithTheTemplateFixesGenerationConfigAndModelfile() throws IOException {
        Path out = shared.resolve("merged-files");
        ModelExport.Result r = export(shared, yaml(fp32, fp32Adapter, out));
        JsonNode tc = JSON.readTree(out.resolve("tokenizer_config.json").toFile());
        // chatml replaces the EOS with its first stop word and the tokenizer's template with its own (LLaMA-Factory's rules)
        assertEquals("<|im_end|>", tc.path("eos_token").asText());
        assertEquals(JinjaChatTemplateTest.CHATML, tc.path("chat_template").asText());
        assertEquals("left", tc.path("padding_side").asText());
        List<String> additional = new ArrayList<>();
        tc.path("additional_special_tokens").forEach(n -> additional.add(n.asText()));
        assertTrue(additional.contains("<|im_start|>"), additional.toString());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("generation_config.json")));
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        String modelfile = Files.readString(r.modelfile());
        assertTrue(modelfile.contains("\nFROM .\n"), modelfile);
        assertTrue(modelfile.contains("PARAMETER stop \"<|im_end|>\""), modelfile);
    }

    @Test
    void withoutAdapterTheBaseIsCopiedAndAnExistingFolderIsOverwrittenFileByFile() throws IOException {
        Path out = shared.resolve("copied");
        Files.createDirectories(out);
        Files.writeString(out.resolve("config.json"), "{ stale }");
        Files.writeString(out.resolve("notes.txt"), "mine");
        export(shared, yaml(bf16, null, out));
        try (HfModelDirectory src = HfModelDirectory.open(bf16); HfModelDirectory copy = HfModelDirectory.open(out)) {
            for (var e : src.expectedTensors()) {
                assertTrue(src.tensor(e.name()).data().mismatch(copy.tensor(e.name()).data()) < 0, e.name());
            }
        }
        assertEquals("mine", Files.readString(out.resolve("notes.txt")), "files export does not write are left alone");
    }

    @Test
    void badInputGetsOneClearError() throws IOException {
        Path out = shared.resolve("bad");
        JtuneException missing = assertThrows(JtuneException.class,
                () -> export(shared, yaml(fp32, shared.resolve("no-such-adapter"), out)));
        assertTrue(missing.getMessage().contains("no-such-adapter") && missing.getMessage().contains("not a folder"), missing.getMessage());

        JtuneException noDir = assertThrows(JtuneException.class,
                () -> export(shared, "model_name_or_path: " + fp32 + "\ntemplate: chatml\n"));
        assertTrue(noDir.getMessage().contains("export_dir is required"), noDir.getMessage());

        JtuneException legacy = assertThrows(JtuneException.class,
                () -> export(shared, yaml(fp32, fp32Adapter, out), "export_legacy_format=true"));
        assertTrue(legacy.getMessage().contains("export_legacy_format") && legacy.getMessage().contains("not supported"), legacy.getMessage());

        JtuneException device = assertThrows(JtuneException.class,
                () -> export(shared, yaml(fp32, fp32Adapter, out), "export_device=cuda"));
        assertTrue(device.getMessage().contains("export_device"), device.getMessage());

        JtuneException quant = assertThrows(JtuneException.class,
                () -> export(shared, yaml(fp32, fp32Adapter, out), "export_quantization_bit=4"));
        assertTrue(quant.getMessage().contains("export_quantization_bit") && quant.getMessage().contains("merge adapters first"), quant.getMessage());

        JtuneException same = assertThrows(JtuneException.class, () -> export(shared, yaml(fp32, fp32Adapter, fp32)));
        assertTrue(same.getMessage().contains("is the folder being read"), same.getMessage());
        assertFalse(Files.exists(out.resolve("config.json")), "nothing written on bad input");
    }

    @Test
    void anAdapterThatDoesNotFitTheBaseNamesTheTensor() throws IOException {
        // an adapter of rank 8 whose config claims rank 4: the shapes differ
        Path wrongRank = shared.resolve("adapter-wrong-rank");
        FinetuneSpec.Lora rank8 = new FinetuneSpec.Lora(8, 8.0, 0.0, List.of("all"), false, List.of());
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, rank8, 4), rank8, wrongRank, fp32);
        }
        String config = Files.readString(wrongRank.resolve("adapter_config.json")).replace("\"r\" : 8", "\"r\" : 4");
        Files.writeString(wrongRank.resolve("adapter_config.json"), config);
        JtuneException shape = assertThrows(JtuneException.class, () -> export(shared, yaml(fp32, wrongRank, shared.resolve("x1"))));
        assertTrue(shape.getMessage().contains("model.layers.0.self_attn.q_proj.lora_A.weight") && shape.getMessage().contains("shape"),
                shape.getMessage());

        // an adapter trained on more modules than its config names: the extra tensors are named
        Path extra = shared.resolve("adapter-extra");
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, ExportFixtures.LORA, 5), ExportFixtures.LORA, extra, fp32);
        }
        JsonNode json = JSON.readTree(extra.resolve("adapter_config.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).putArray("target_modules").add("q_proj");
        Files.writeString(extra.resolve("adapter_config.json"), json.toString());
        JtuneException names = assertThrows(JtuneException.class, () -> export(shared, yaml(fp32, extra, shared.resolve("x2"))));
        assertTrue(names.getMessage().contains("k_proj.lora_A.weight") || names.getMessage().contains("down_proj.lora_A.weight"), names.getMessage());

        // a quantized base (config.json quantization_config) refuses the merge, as LLaMA-Factory does
        Path quantized = shared.resolve("tiny-quantized");
        Files.createDirectories(quantized);
        for (Path f : Files.list(fp32).toList()) Files.copy(f, quantized.resolve(f.getFileName()));
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(quantized.resolve("config.json").toFile());
        cfg.putObject("quantization_config").put("quant_method", "gptq").put("bits", 4);
        Files.writeString(quantized.resolve("config.json"), cfg.toString());
        JtuneException quant = assertThrows(JtuneException.class, () -> export(shared, yaml(quantized, fp32Adapter, shared.resolve("x3"))));
        assertTrue(quant.getMessage().contains("cannot merge adapters into a quantized model"), quant.getMessage());
        assertNotNull(quant.getMessage());
    }
}
