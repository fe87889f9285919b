package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.Glm4ChatTest;
import io.jtune.io.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * `jtune train` (sft) on a tiny GLM-4-0414-like checkpoint with the glm4 template: lora (q/k/v/o_proj,
 * the fused gate_up_proj and down_proj as PEFT names them, lora_target all), freeze and full run to
 * the end with finite losses and write the family's names.
 */
@Timeout(300)
class Glm4TrainEndToEndTest {

    @ParameterizedTest
    @ValueSource(strings = {"lora", "freeze", "full"})
    void sftRunsAndWritesGlm4Names(String type, @TempDir Path tmp) throws Exception {
        Path model = Glm4ChatTest.write(tmp);
        Path out = tmp.resolve("out");
        Path yaml = tmp.resolve("train.yaml");
        String config = String.join("\n",
                "model_name_or_path: " + model,
                "stage: sft",
                "do_train: true",
                "finetuning_type: " + type,
                type.equals("lora") ? "lora_target: all" : "",
                type.equals("freeze") ? "freeze_trainable_layers: 1" : "",
                "dataset: support_shop",
                "dataset_dir: " + Path.of("data").toAbsolutePath(),
                "template: glm4",
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

        int losses = 0;
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode entry = TrainCommandEndToEndTest.JSON.readTree(line);
            if (entry.has("loss")) {
                assertTrue(Double.isFinite(entry.get("loss").asDouble()) && entry.get("loss").asDouble() > 0, line);
                losses++;
            }
        }
        assertEquals(3, losses, "one logged loss per step");
        if (type.equals("lora")) {
            try (SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
                assertTrue(adapter.names().contains("base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight"), adapter.names().toString());
                assertTrue(adapter.names().contains("base_model.model.model.layers.0.mlp.gate_up_proj.lora_B.weight"), adapter.names().toString());
                assertEquals(3 * 6 * 2, adapter.names().size(), "A and B on q/k/v/o_proj, gate_up_proj, down_proj of every layer");
            }
            JsonNode adapterConfig = TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile());
            List<String> targets = new java.util.ArrayList<>();
            adapterConfig.get("target_modules").forEach(t -> targets.add(t.asText()));
            assertEquals(List.of("down_proj", "gate_up_proj", "k_proj", "o_proj", "q_proj", "v_proj"), targets.stream().sorted().toList());
        } else {
            try (SafetensorsFile weights = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertTrue(weights.names().contains("model.layers.2.post_self_attn_layernorm.weight"), weights.names().toString());
                assertTrue(weights.names().contains("model.layers.2.mlp.gate_up_proj.weight"), weights.names().toString());
                assertTrue(weights.names().contains("model.layers.2.self_attn.q_proj.bias"), weights.names().toString());
            }
        }
    }
}
