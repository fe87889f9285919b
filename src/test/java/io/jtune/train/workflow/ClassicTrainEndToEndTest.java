package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.ClassicChatTest;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * `jtune train` (sft) on tiny checkpoints of the LayerNorm families with LLaMA-Factory's template for
 * each: lora (lora_target all: every Conv1D / dense layer, PEFT's names), freeze and full run to the
 * end with finite losses, and what they write loads again as the family's checkpoint.
 */
@Timeout(300)
class ClassicTrainEndToEndTest {

    @ParameterizedTest
    @CsvSource({"gpt2,lora", "gpt2,freeze", "gpt2,full", "bloom,lora", "bloom,full", "falcon,lora", "falcon,full"})
    void sftRunsAndWritesTheFamilysNames(String modelType, String type, @TempDir Path tmp) throws Exception {
        Path model = ClassicChatTest.write(tmp, modelType);
        Path out = tmp.resolve("out");
        Path yaml = tmp.resolve("train.yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: sft",
                "do_train: true",
                "finetuning_type: " + type,
                type.equals("lora") ? "lora_target: all" : "",
                type.equals("freeze") ? "freeze_trainable_layers: 1" : "",
                "dataset: support_shop",
                "dataset_dir: " + Path.of("data").toAbsolutePath(),
                "template: " + (modelType.equals("falcon") ? "falcon" : "default"),
                "cutoff_len: 64",
                "max_samples: 12",
                "output_dir: " + out,
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 2",
                "learning_rate: 1.0e-3",
                "max_steps: 3",
                "logging_steps: 1",
                "save_steps: 100",
                ""));
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
        if (type.equals("lora") && !modelType.equals("gpt2")) {
            try (SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
                assertTrue(adapter.names().contains("base_model.model.transformer.h.2.self_attention.query_key_value.lora_A.weight"),
                        adapter.names().toString());
                assertEquals(3 * 4 * 2, adapter.names().size(), "A and B on query_key_value, dense, dense_h_to_4h, dense_4h_to_h");
            }
            JsonNode adapterConfig = TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile());
            assertTrue(!adapterConfig.get("fan_in_fan_out").asBoolean(), "nn.Linear layers");
        } else if (type.equals("lora")) {
            try (SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
                assertTrue(adapter.names().contains("base_model.model.transformer.h.2.attn.c_attn.lora_A.weight"), adapter.names().toString());
                assertTrue(adapter.names().contains("base_model.model.transformer.h.0.mlp.c_proj.lora_B.weight"), adapter.names().toString());
                assertEquals(3 * 4 * 2, adapter.names().size(), "A and B on c_attn, attn.c_proj, c_fc, mlp.c_proj of every layer");
            }
            JsonNode adapterConfig = TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile());
            List<String> targets = new java.util.ArrayList<>();
            adapterConfig.get("target_modules").forEach(t -> targets.add(t.asText()));
            assertEquals(List.of("c_attn", "c_fc", "c_proj"), targets.stream().sorted().toList());
            assertTrue(adapterConfig.get("fan_in_fan_out").asBoolean(), "PEFT adapts Conv1D with fan_in_fan_out");
        } else {
            try (HfModelDirectory saved = HfModelDirectory.open(out)) {   // checks every shape: Conv1D weights [in, out]
                assertEquals(modelType, saved.config().modelType());
                String qkv = modelType.equals("gpt2") ? "transformer.h.2.attn.c_attn.weight" : "transformer.h.2.self_attention.query_key_value.weight";
                assertTrue(saved.checkpoint().names().contains(qkv), saved.checkpoint().names().toString());
            }
        }
    }
}
