package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.infer.ChatModel;
import io.jtune.config.ConfigLoader;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.RandomWeights;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jtune train` on a tiny Qwen2-MoE checkpoint (the quickstart tokenizer): LoRA on every linear
 * module with moe_aux_loss_coef, the loss falls, the adapter names the routers and experts, and chat
 * loads the base with that adapter and generates.
 */
@Timeout(300)
class MoeTrainEndToEndTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() throws IOException {
        Path llama = shared.resolve("tiny-llama");
        TinyModelFactory.create(llama, new CorpusGenerator(1).documents(300), 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        model = shared.resolve("tiny-qwen2-moe");
        try (HfModelDirectory src = HfModelDirectory.open(llama)) {
            ObjectNode config = src.rawConfig();
            config.put("model_type", "qwen2_moe");
            config.putArray("architectures").add("Qwen2MoeForCausalLM");
            config.put("num_experts", 4);
            config.put("num_experts_per_tok", 2);
            config.put("moe_intermediate_size", 16);
            config.put("shared_expert_intermediate_size", 24);
            config.put("norm_topk_prob", false);
            ModelConfig parsed = io.jtune.io.hf.HfConfigReader.parse(config, model.resolve("config.json"));
            ModelFamily family = Families.of(parsed);
            RandomWeights weights = new RandomWeights(family, parsed, 5, DType.F32, 0.3);
            List<TensorToWrite> tensors = new ArrayList<>();
            for (ModelTensor t : family.checkpointTensors(parsed)) {
                Matrix m = weights.tensor(t.name());
                float[] data = new float[m.rows() * m.cols()];
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), data, r * m.cols());
                tensors.add(TensorToWrite.ofFloats(t.name(), DType.F32, t.shape(), data));
            }
            HfModelWriter.save(model, config, src.rawGenerationConfig(), llama, tensors, DType.F32, 1L << 30);
        }
    }

    @Test
    void trainsALoraAdapterWithTheRouterAuxLossAndChatsWithIt(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out"), yaml = tmp.resolve("moe.yaml");
        Files.writeString(yaml, String.join("\n", "model_name_or_path: " + model, "moe_aux_loss_coef: 0.01", "stage: sft",
                "do_train: true", "finetuning_type: lora", "lora_rank: 4", "lora_target: all", "dataset: support_shop",
                "dataset_dir: " + TrainCommandEndToEndTest.DATA, "template: chatml", "cutoff_len: 96", "max_samples: 24",
                "output_dir: " + out, "per_device_train_batch_size: 2", "gradient_accumulation_steps: 2",
                "max_steps: 6", "logging_steps: 1", "save_steps: 100", "report_to: none", ""));
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "learning_rate=5.0e-3"));
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = TrainCommandEndToEndTest.JSON.readTree(line);
            if (n.has("loss")) losses.add(n.get("loss").asDouble());
        }
        assertEquals(6, losses.size());
        assertTrue(losses.get(5) < losses.get(0), "the loss falls " + losses);
        JsonNode adapterConfig = TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile());
        List<String> targets = new ArrayList<>();
        adapterConfig.get("target_modules").forEach(t -> targets.add(t.asText()));
        for (String name : List.of("gate", "gate_proj", "up_proj", "down_proj", "shared_expert_gate", "q_proj")) {
            assertTrue(targets.contains(name), "target_modules " + targets + " lacks " + name);
        }

        var config = ConfigLoader.fromMap("chat", Map.of("model_name_or_path", model.toString(), "template", "chatml",
                "adapter_name_or_path", out.toString(), "do_sample", false, "max_new_tokens", 4), List.of());
        try (var engine = new io.jtune.infer.LocalChatEngine(ChatModel.load(config))) {
            assertTrue(engine.model().adapter() != null);
            assertEquals("qwen2_moe", engine.model().model().config().modelType());
            var reply = engine.generate(io.jtune.infer.ChatRequest.of("hello"), io.jtune.infer.TokenListener.IGNORE);
            assertTrue(reply.completionTokens() > 0, "the adapter's model generates through the continuous batcher");
        }
    }
}
