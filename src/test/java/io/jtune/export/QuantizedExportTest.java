package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.config.ConfigLoader;
import io.jtune.io.gguf.GgufReader;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.QuantizedWeights;
import io.jtune.model.WeightQuantization;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.DType;
import io.jtune.tensor.Numbers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export on a quantized base: the adapter merges into the dequantized weights (what it was trained
 * on), written in the export dtype with a warning, without the quantization_config; GGUF export of
 * the merge works; a bitsandbytes 4-bit checkpoint exports to its dequantized weights.
 */
class QuantizedExportTest {
    @TempDir static Path shared;
    static Path fp32, adapter;

    @BeforeAll
    static void makeModels() throws IOException {
        fp32 = shared.resolve("tiny-fp32");
        ExportFixtures.fp32Model(fp32);
        adapter = shared.resolve("adapter");
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, ExportFixtures.LORA, 3), ExportFixtures.LORA, adapter, fp32);
        }
    }

    static String export(String yaml, String... overrides) throws IOException {
        Path file = shared.resolve("export.yaml");
        Files.writeString(file, yaml);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new ModelExport(ConfigLoader.load(file, List.of(overrides)), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void mergeOnA4BitBaseIsTheDequantizedWeightsPlusTheAdapter() throws IOException {
        Path out = shared.resolve("merged-nf4");
        String log = export(ModelExportTest.yaml(fp32, adapter, out), "quantization_bit=4", "export_gguf=f16");
        assertTrue(log.contains("warning: merging the adapter into the dequantized weights of the 4-bit nf4 with double quantization"), log);
        Batch batch;
        float[] trained;
        try (HfModelDirectory dir = HfModelDirectory.open(fp32)) {
            batch = ExportFixtures.batch(dir.config().vocabSize());
            var weights = QuantizedWeights.over(new HfWeightSource(dir), dir.config(), WeightQuantization.fourBit(Bnb4BitType.NF4, true));
            CausalLM lora = ModelBuilder.build(dir.config(), weights, FinetuneSpec.lora(ExportFixtures.LORA), new CausalLM.Options(false, 1));
            new io.jtune.train.checkpoint.FlatWeightsCheckpoint(lora, io.jtune.io.peft.AdapterWeights.ADAPTER_FILE).load(adapter);
            trained = lora.forwardLogits(batch);
        }
        try (HfModelDirectory merged = HfModelDirectory.open(out)) {
            assertFalse(merged.rawConfig().has("quantization_config"));
            assertEquals(DType.F32, merged.tensor("model.layers.0.mlp.down_proj.weight").dtype());
            float[] mergedLogits = ModelBuilder.build(merged.config(), new HfWeightSource(merged), FinetuneSpec.full(),
                    CausalLM.Options.defaults()).forwardLogits(batch);
            assertTrue(ModelExportTest.maxAbsDiff(trained, mergedLogits) < 1e-5,
                    "merged logits differ from the quantized base + adapter by " + ModelExportTest.maxAbsDiff(trained, mergedLogits));
        }
        Path gguf = out.resolve("merged-nf4-F16.gguf");
        try (GgufReader reader = GgufReader.open(gguf)) {
            assertTrue(reader.tensors().size() > 0, "the GGUF of the merge has tensors");
        }
    }

    @Test
    void bitsandbytesCheckpointExportsItsDequantizedWeights() throws IOException {
        Path golden = Path.of("src/test/resources/goldens/quantized/prequantized_nf4").toAbsolutePath();
        Path out = shared.resolve("dequantized");
        String log = export("model_name_or_path: " + golden + "\nexport_dir: " + out + "\n");
        assertTrue(log.contains("warning: writing the dequantized weights of the bitsandbytes 4-bit"), log);
        try (HfModelDirectory exported = HfModelDirectory.open(out);
             SafetensorsFile expected = SafetensorsFile.open(golden.resolve("expected.safetensors"))) {
            assertFalse(exported.rawConfig().has("quantization_config"));
            for (var t : expected.tensors()) {
                assertEquals(DType.BF16, exported.tensor(t.name()).dtype(), t.name());
                float[] want = t.toFloatArray(), got = exported.tensor(t.name()).toFloatArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(Numbers.bf16ToFloat(Numbers.floatToBf16(want[i])), got[i], t.name() + " element " + i);
                }
            }
        }
    }
}
