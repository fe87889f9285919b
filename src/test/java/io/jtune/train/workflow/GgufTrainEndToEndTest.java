package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.config.ConfigLoader;
import io.jtune.export.ModelExport;
import io.jtune.infer.ChatModel;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.tensor.Q8_0Matrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
 * `jtune train` with finetuning_type lora on a GGUF base: a tiny model exported by jtune to GGUF
 * Q8_0 is the model_name_or_path; its weights stay Q8_0 and frozen, the loss falls, a PEFT adapter
 * is written with the tokenizer files rebuilt from the GGUF, and chat loads the GGUF with that
 * adapter. Other finetuning types are refused with a message.
 */
@Timeout(300)
class GgufTrainEndToEndTest {
    @TempDir static Path shared;
    static Path gguf;

    @BeforeAll
    static void makeModel() throws IOException {
        System.setProperty("jtune.cache", shared.resolve("cache").toString());
        Path model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        var export = ConfigLoader.fromMap("export", Map.of("model_name_or_path", model.toString(), "template", "chatml",
                "export_dir", shared.resolve("exported").toString(), "export_gguf", "q8_0"), List.of());
        gguf = new ModelExport(export, new PrintStream(new ByteArrayOutputStream())).run().gguf();
    }

    static Path yaml(Path dir, Path out, String finetuningType) throws IOException {
        Path yaml = dir.resolve(finetuningType + ".yaml");
        Files.writeString(yaml, String.join("\n", "model_name_or_path: " + gguf, "stage: sft", "do_train: true",
                "finetuning_type: " + finetuningType, "lora_rank: 4", "dataset: support_shop",
                "dataset_dir: " + TrainCommandEndToEndTest.DATA, "template: chatml", "cutoff_len: 96", "max_samples: 24",
                "output_dir: " + out, "per_device_train_batch_size: 2", "gradient_accumulation_steps: 2",
                "max_steps: 6", "logging_steps: 1", "save_steps: 100", "report_to: none", ""));
        return yaml;
    }

    @Test
    void trainsALoraAdapterOverTheQuantizedGgufAndChatsWithIt(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml(tmp, out, "lora"), "learning_rate=5.0e-3"));
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = TrainCommandEndToEndTest.JSON.readTree(line);
            if (n.has("loss")) losses.add(n.get("loss").asDouble());
        }
        assertEquals(6, losses.size());
        assertTrue(losses.get(5) < losses.get(0), "the loss falls " + losses);
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
        assertTrue(Files.exists(out.resolve("tokenizer.json")), "the tokenizer rebuilt from the GGUF is saved beside the adapter");
        assertEquals(gguf.toString(), TrainCommandEndToEndTest.JSON.readTree(out.resolve("adapter_config.json").toFile())
                .get("base_model_name_or_path").asText());

        var config = ConfigLoader.fromMap("chat", Map.of("model_name_or_path", gguf.toString(), "template", "chatml",
                "adapter_name_or_path", out.toString(), "finetuning_type", "lora", "do_sample", false, "max_new_tokens", 4), List.of());
        try (ChatModel chat = ChatModel.load(config)) {
            assertEquals(Q8_0Matrix.class, chat.model().baseMatrix("model.layers.1.mlp.gate_proj.weight").getClass(),
                    "the base stays in its stored type");
            assertTrue(chat.adapter() != null);
        }

        // the Ollama path from a GGUF base: the adapter as GGUF, and a Modelfile FROM the base file
        Path ollama = tmp.resolve("ollama");
        var export = ConfigLoader.fromMap("export", Map.of("model_name_or_path", gguf.toString(), "adapter_name_or_path", out.toString(),
                "finetuning_type", "lora", "template", "chatml", "export_dir", ollama.toString(), "export_gguf_adapter", true), List.of());
        ModelExport.Result r = new ModelExport(export, new PrintStream(new ByteArrayOutputStream())).run();
        String modelfile = Files.readString(r.modelfile());
        assertTrue(modelfile.contains("FROM " + gguf.toAbsolutePath().normalize() + "\nADAPTER ./ollama-lora-F32.gguf\n"), modelfile);
        try (io.jtune.io.gguf.GgufReader adapterFile = io.jtune.io.gguf.GgufReader.open(r.ggufAdapter())) {
            assertEquals("adapter", adapterFile.metadata().getString("general.type"));
            assertEquals(2 * 7 * 2, adapterFile.tensors().size(), "lora_a and lora_b of the 7 modules of 2 layers");
            assertEquals(List.of(32L, 4L), java.util.Arrays.stream(adapterFile.tensor("blk.0.attn_q.weight.lora_a").dims()).boxed().toList());
        }
    }

    @Test
    void otherFinetuningTypesAreRefused(@TempDir Path tmp) throws IOException {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            assertNotEquals(0, TrainCommandEndToEndTest.train(yaml(tmp, tmp.resolve("full"), "full")));
        } finally {
            System.setErr(oldErr);
        }
        assertTrue(err.toString().contains("finetuning_type lora only"), err.toString());
    }
}
