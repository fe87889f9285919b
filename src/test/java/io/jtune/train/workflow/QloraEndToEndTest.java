package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.infer.ChatModel;
import io.jtune.model.WeightQuantization;
import io.jtune.model.arch.ModelConfig;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.tensor.Bnb4BitMatrix;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.Int8RowMatrix;
import io.jtune.tensor.DType;
import io.jtune.nn.RopeConfig;
import io.jtune.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QLoRA from the config: `jtune train` with quantization_bit 4 trains a LoRA adapter over 4-bit
 * weights (the loss falls, a PEFT adapter is written), and chat loads the base quantized with that
 * adapter; quantization_bit 8 likewise. The memory estimate counts the quantized weights.
 */
@Timeout(300)
class QloraEndToEndTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
    }

    @Test
    void trainsALoraAdapterOverA4BitBaseAndChatsWithIt(@TempDir Path tmp) throws IOException {
        for (String bits : List.of("4", "8")) {
            Path out = tmp.resolve("out" + bits);
            Path yaml = tmp.resolve("qlora" + bits + ".yaml");
            Files.writeString(yaml, String.join("\n", "model_name_or_path: " + model, "stage: sft", "do_train: true",
                    "finetuning_type: lora", "lora_rank: 4", "quantization_bit: " + bits, "dataset: support_shop",
                    "dataset_dir: " + TrainCommandEndToEndTest.DATA, "template: chatml", "cutoff_len: 96", "max_samples: 24",
                    "output_dir: " + out, "per_device_train_batch_size: 2", "gradient_accumulation_steps: 2",
                    "max_steps: 6", "logging_steps: 1", "save_steps: 100", "report_to: none", ""));
            assertEquals(0, TrainCommandEndToEndTest.train(yaml, "learning_rate=5.0e-3"));
            List<Double> losses = new java.util.ArrayList<>();
            for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
                JsonNode n = TrainCommandEndToEndTest.JSON.readTree(line);
                if (n.has("loss")) losses.add(n.get("loss").asDouble());
            }
            assertEquals(6, losses.size());
            assertTrue(losses.get(5) < losses.get(0), bits + "-bit: the loss falls " + losses);
            assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));

            var config = ConfigLoader.fromMap("chat", Map.of("model_name_or_path", model.toString(), "template", "chatml",
                    "adapter_name_or_path", out.toString(), "quantization_bit", Integer.parseInt(bits), "do_sample", false,
                    "max_new_tokens", 4), List.of());
            try (ChatModel chat = ChatModel.load(config)) {
                var q = chat.model().baseMatrix("model.layers.1.mlp.gate_proj.weight");
                Class<?> storage = bits.equals("4") ? Bnb4BitMatrix.class : Int8RowMatrix.class;
                assertEquals(storage, q.getClass());
                assertTrue(chat.adapter() != null);
                // embeddings and the LM head stay as stored
                assertEquals(chat.model().baseMatrix("model.embed_tokens.weight").getClass().getSimpleName(), "F32");
            }
        }
    }

    /** DoRA reads its base only through Matrix rows and the GEMM, so it trains over 4-bit weights as over bf16 ones. */
    @Test
    void doraTrainsOverA4BitBase(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("dora4");
        Path yaml = tmp.resolve("qdora.yaml");
        Files.writeString(yaml, String.join("\n", "model_name_or_path: " + model, "stage: sft", "do_train: true",
                "finetuning_type: lora", "lora_rank: 4", "use_dora: true", "quantization_bit: 4", "dataset: support_shop",
                "dataset_dir: " + TrainCommandEndToEndTest.DATA, "template: chatml", "cutoff_len: 96", "max_samples: 24",
                "output_dir: " + out, "per_device_train_batch_size: 2", "gradient_accumulation_steps: 2",
                "max_steps: 6", "logging_steps: 1", "save_steps: 100", "report_to: none", ""));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "learning_rate=5.0e-3"));
        List<Double> losses = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = TrainCommandEndToEndTest.JSON.readTree(line);
            if (n.has("loss")) losses.add(n.get("loss").asDouble());
        }
        assertEquals(6, losses.size());
        assertTrue(losses.get(5) < losses.get(0), "DoRA over nf4: the loss falls " + losses);
        assertTrue(TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile()).get("use_dora").asBoolean(),
                "adapter_config.json says use_dora");
        try (var st = io.jtune.io.safetensors.SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(st.names().stream().anyMatch(n -> n.endsWith("lora_magnitude_vector")), "the magnitudes are saved");
        }
    }

    @Test
    void theMemoryEstimateCountsQuantizedWeights() {
        ModelConfig llama7b = ModelConfig.builder().modelType("llama").vocabSize(32000).hiddenSize(4096).intermediateSize(11008)
                .numHiddenLayers(32).numAttentionHeads(32).numKeyValueHeads(32).maxPositionEmbeddings(4096)
                .rope(RopeConfig.plain(10000)).eosTokenIds(List.of(2)).dtype(DType.BF16).build();
        long linear = 32L * (4 * 4096L * 4096 + 3 * 4096L * 11008);   // 6.48e9 weights
        assertEquals(0, MemoryEstimate.quantizedWeightBytes(llama7b, null));
        long nf4 = MemoryEstimate.quantizedWeightBytes(llama7b, WeightQuantization.fourBit(Bnb4BitType.NF4, true));
        long nf4Single = MemoryEstimate.quantizedWeightBytes(llama7b, WeightQuantization.fourBit(Bnb4BitType.NF4, false));
        long int8 = MemoryEstimate.quantizedWeightBytes(llama7b, WeightQuantization.eightBit());
        // 4 bits a weight plus one byte (double quantization) or four (fp32 absmax) per 64 weights
        assertEquals(linear / 2 + linear / 64, nf4, 0.001 * nf4);
        assertEquals(linear / 2 + linear / 16, nf4Single, 0.001 * nf4Single);
        assertEquals(linear, int8, 0.001 * int8);
        assertTrue(nf4 < 3.5 * (1L << 30), "7B's decoder weights in nf4: " + nf4 / (double) (1L << 30) + " GiB");
    }
}
