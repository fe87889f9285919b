package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.infer.GemmaChatTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * `jtune train` (sft) on tiny Gemma-family checkpoints with their LLaMA-Factory templates: lora,
 * freeze and full each run to the end, log finite losses and write their outputs under the
 * family's names (PEFT names for the adapter, HF names for the fully trained model).
 */
@Timeout(300)
class GemmaTrainEndToEndTest {

    @ParameterizedTest
    @CsvSource({"gemma, gemma, lora", "gemma2, gemma2, freeze", "gemma3_text, gemma3, full", "gemma2, gemma2, lora"})
    void sftRunsAndWritesTheFamilysNames(String modelType, String template, String type, @TempDir Path tmp) throws Exception {
        Path model = GemmaChatTest.write(tmp, modelType, GemmaChatTest.familyKeys(modelType));
        Path out = tmp.resolve("out");
        Path yaml = tmp.resolve("train.yaml");
        String config = String.join("\n",
                "model_name_or_path: " + model,
                "stage: sft",
                "do_train: true",
                "finetuning_type: " + type,
                type.equals("freeze") ? "freeze_trainable_layers: 1" : "",
                "dataset: support_shop",
                "dataset_dir: " + Path.of("data").toAbsolutePath(),
                "template: " + template,
                "cutoff_len: 64",
                "max_samples: 12",
                "output_dir: " + out,
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 2",
                "learning_rate: 1.0e-3",
                "max_steps: 3",
                "logging_steps: 1",
                "save_steps: 100",
                "");
        Files.writeString(yaml, config);
        assertEquals(0, TrainCommandEndToEndTest.train(yaml), "jtune train exits 0");

        List<String> lines = Files.readAllLines(out.resolve("trainer_log.jsonl"));
        int losses = 0;
        for (String line : lines) {
            JsonNode entry = TrainCommandEndToEndTest.JSON.readTree(line);
            if (entry.has("loss")) {
                assertTrue(Double.isFinite(entry.get("loss").asDouble()) && entry.get("loss").asDouble() > 0, line);
                losses++;
            }
        }
        assertEquals(3, losses, "one logged loss per step");
        if (type.equals("lora")) {
            try (SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
                assertTrue(adapter.names().contains("base_model.model.model.layers.2.mlp.gate_proj.lora_A.weight"), adapter.names().toString());
                assertEquals(3 * 7 * 2, adapter.names().size(), "A and B on every linear module of every layer");
            }
        } else {
            try (SafetensorsFile weights = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertTrue(weights.names().contains("model.layers.2.post_attention_layernorm.weight"), weights.names().toString());
                if (!modelType.equals("gemma")) {
                    assertTrue(weights.names().contains("model.layers.0.pre_feedforward_layernorm.weight"));
                }
            }
        }
    }
}
