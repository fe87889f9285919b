package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.ChatGlmChatTest;
import io.jtune.io.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * `jtune train` (sft) on a tiny ChatGLM3-like checkpoint (ChatGLM's config keys and tensor names, a
 * sentencepiece tokenizer.model) with the chatglm3 template: lora (query_key_value, dense,
 * dense_h_to_4h, dense_4h_to_h as PEFT names them, lora_target all), freeze and full run to the end
 * with finite losses and write the family's names.
 */
@Timeout(300)
class ChatGlmTrainEndToEndTest {

    @ParameterizedTest
    @ValueSource(strings = {"lora", "freeze", "full"})
    void sftRunsAndWritesChatGlmNames(String type, @TempDir Path tmp) throws Exception {
        Path model = ChatGlmChatTest.write(tmp);
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
                "template: chatglm3",
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
                assertTrue(adapter.names().contains("base_model.model.transformer.encoder.layers.2.self_attention.query_key_value.lora_A.weight"),
                        adapter.names().toString());
                assertTrue(adapter.names().contains("base_model.model.transformer.encoder.layers.0.mlp.dense_h_to_4h.lora_B.weight"),
                        adapter.names().toString());
                assertEquals(3 * 4 * 2, adapter.names().size(), "A and B on query_key_value, dense, dense_h_to_4h, dense_4h_to_h of every layer");
            }
            JsonNode adapterConfig = TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile());
            List<String> targets = new java.util.ArrayList<>();
            adapterConfig.get("target_modules").forEach(t -> targets.add(t.asText()));
            assertEquals(List.of("dense", "dense_4h_to_h", "dense_h_to_4h", "query_key_value"), targets.stream().sorted().toList());
        } else {
            try (SafetensorsFile weights = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertTrue(weights.names().contains("transformer.encoder.layers.2.self_attention.query_key_value.bias"), weights.names().toString());
                assertTrue(weights.names().contains("transformer.encoder.layers.2.mlp.dense_4h_to_h.weight"), weights.names().toString());
                assertTrue(weights.names().contains("transformer.output_layer.weight"), weights.names().toString());
            }
        }
    }
}
