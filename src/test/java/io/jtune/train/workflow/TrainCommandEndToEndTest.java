package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.cli.Main;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `jtune train` on a tiny model made by the test: pt and sft, lora / freeze / full, outputs, crash and resume. */
@Timeout(300)
class TrainCommandEndToEndTest {
    @TempDir static Path shared;
    static Path model;
    static final Path DATA = Path.of("data").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModel() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
    }

    static String config(Path out, String stage, String type, String extra) {
        return String.join("\n",
                "model_name_or_path: " + model,
                "stage: " + stage,
                "do_train: true",
                "finetuning_type: " + type,
                "dataset: " + (stage.equals("pt") ? "pretrain_demo" : "support_shop"),
                "dataset_dir: " + DATA,
                "template: chatml",
                "cutoff_len: 96",
                "max_samples: 24",
                "output_dir: " + out,
                "overwrite_output_dir: true",
                "per_device_train_batch_size: 2",
                "gradient_accumulation_steps: 2",
                "learning_rate: 1.0e-3",
                "max_steps: 6",
                "logging_steps: 1",
                "save_steps: 3",
                "lr_scheduler_type: cosine",
                "warmup_ratio: 0.1",
                "plot_loss: true",
                "report_to: tensorboard",
                extra, "");
    }

    static int train(Path yaml, String... overrides) {
        List<String> args = new ArrayList<>(List.of("train", yaml.toString()));
        args.addAll(List.of(overrides));
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            return Main.newCommandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(old);
        }
    }

    /** The logged loss of each step; a resumed run appends, so a step logged twice keeps its last value. */
    private static List<Double> losses(Path out) throws IOException {
        java.util.TreeMap<Integer, Double> byStep = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(out.resolve("trainer_log.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("loss")) byStep.put(n.get("current_steps").asInt(), n.get("loss").asDouble());
        }
        return new ArrayList<>(byStep.values());
    }

    @Test
    void sftWithLoraWritesAPeftAdapterAndLlamaFactoryFiles(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        Path yaml = tmp.resolve("sft.yaml");
        Files.writeString(yaml, config(out, "sft", "lora", "lora_rank: 4\nval_size: 0.2\neval_strategy: steps\neval_steps: 3"));
        assertEquals(0, train(yaml));
        JsonNode adapter = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", adapter.get("peft_type").asText());
        assertEquals(4, adapter.get("r").asInt());
        assertEquals(8, adapter.get("lora_alpha").asInt());
        assertEquals(7, adapter.get("target_modules").size(), adapter.toString()); // all linear layers but lm_head
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(st.names().contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), st.names().toString());
            assertTrue(st.tensor("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").hasShape(32, 4));
        }
        assertEquals(6, losses(out).size());
        for (String f : List.of("trainer_state.json", "train_results.json", "eval_results.json", "all_results.json",
                "training_loss.png", "training_eval_loss.png", "tokenizer.json", "checkpoint-3/adapter_model.safetensors",
                "checkpoint-6/optimizer.safetensors", "checkpoint-3/trainer_state.json",
                "special_tokens_map.json", "README.md", "checkpoint-3/tokenizer.json", "checkpoint-3/tokenizer_config.json",
                "checkpoint-3/special_tokens_map.json")) {
            assertTrue(Files.exists(out.resolve(f)), f + " missing");
        }
        JsonNode results = JSON.readTree(out.resolve("all_results.json").toFile());
        assertTrue(results.has("train_loss") && results.has("eval_loss") && results.has("train_runtime"), results.toString());
        assertTrue(results.get("total_flos").asDouble() > 0, "total_flos is counted: " + results);
        assertTrue(results.has("eval_runtime") && results.has("eval_samples_per_second") && results.has("eval_steps_per_second"), results.toString());
        assertEquals("<|im_end|>", JSON.readTree(out.resolve("special_tokens_map.json").toFile()).get("eos_token").get("content").asText());
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.startsWith("---\nlibrary_name: peft\nbase_model: "), card);
        assertTrue(card.contains("support_shop"), card);
        try (var runs = Files.list(out.resolve("runs"))) {
            assertEquals(1, runs.count(), "TensorBoard run folder");
        }

        // The PEFT adapter loads back: evaluating with adapter_name_or_path reproduces the final eval_loss.
        Path evalOut = tmp.resolve("eval");
        assertEquals(0, train(yaml, "do_train=false", "do_eval=true", "adapter_name_or_path=" + out, "output_dir=" + evalOut));
        double reloaded = JSON.readTree(evalOut.resolve("eval_results.json").toFile()).get("eval_loss").asDouble();
        assertEquals(results.get("eval_loss").asDouble(), reloaded, 1e-6, "eval_loss with the reloaded adapter");
    }

    @Test
    void pretrainingWithFullFineTuningWritesAModelDirectory(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        Path yaml = tmp.resolve("pt.yaml");
        Files.writeString(yaml, config(out, "pt", "full", ""));
        assertEquals(0, train(yaml, "cutoff_len=32", "learning_rate=1.0e-2", "lr_scheduler_type=constant"));
        assertTrue(Files.exists(out.resolve("model.safetensors")) && Files.exists(out.resolve("config.json")));
        assertTrue(Files.readString(out.resolve("README.md")).startsWith("---\nlibrary_name: transformers\n"));
        assertTrue(Files.exists(out.resolve("special_tokens_map.json")));
        assertTrue(losses(out).getLast() < losses(out).getFirst(), "loss falls: " + losses(out));
    }

    @Test
    void freezeTrainsTheLastLayersOnly(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        Path yaml = tmp.resolve("freeze.yaml");
        Files.writeString(yaml, config(out, "sft", "freeze", "freeze_trainable_layers: 1"));
        assertEquals(0, train(yaml));
        try (var base = SafetensorsFile.open(model.resolve("model.safetensors"));
             var tuned = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            String frozen = "model.layers.0.mlp.up_proj.weight", trained = "model.layers.1.mlp.up_proj.weight";
            assertEquals(base.tensor(frozen).data().mismatch(tuned.tensor(frozen).data()), -1L, "layer 0 unchanged");
            assertTrue(base.tensor(trained).data().mismatch(tuned.tensor(trained).data()) >= 0, "layer 1 trained");
        }
    }

    @Test
    void aRunKilledWhileSavingResumesFromTheLastCompleteCheckpointWithIdenticalLosses(@TempDir Path tmp) throws Exception {
        Path reference = tmp.resolve("reference");
        Path yamlRef = tmp.resolve("ref.yaml");
        Files.writeString(yamlRef, config(reference, "sft", "lora", "lora_dropout: 0.1"));
        assertEquals(0, train(yamlRef, "save_steps=2"));

        Path out = tmp.resolve("crashed");
        Path yaml = tmp.resolve("crash.yaml");
        Files.writeString(yaml, config(out, "sft", "lora", "lora_dropout: 0.1"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-Djtune.test.haltBeforeCheckpointRename=4",
                "-cp", System.getProperty("java.class.path"), "io.jtune.cli.Main", "train", yaml.toString(), "save_steps=2")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("crash.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue(), Files.readString(tmp.resolve("crash.log")));
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")));
        assertFalse(Files.exists(out.resolve("checkpoint-4")), "the interrupted save left no checkpoint-4");
        assertSameTensors(reference.resolve("checkpoint-2/adapter_model.safetensors"), out.resolve("checkpoint-2/adapter_model.safetensors"));
        assertSameTensors(reference.resolve("checkpoint-2/optimizer.safetensors"), out.resolve("checkpoint-2/optimizer.safetensors"));

        // Run again without overwrite_output_dir: LLaMA-Factory resumes from the last checkpoint.
        assertEquals(0, train(yaml, "save_steps=2", "overwrite_output_dir=false"));
        assertEquals(losses(reference), losses(out), "the stitched loss curve equals the uninterrupted one");
        assertSameTensors(reference.resolve("checkpoint-4/adapter_model.safetensors"), out.resolve("checkpoint-4/adapter_model.safetensors"));
        assertSameTensors(reference.resolve("adapter_model.safetensors"), out.resolve("adapter_model.safetensors"));
    }

    private static void assertSameTensors(Path expected, Path actual) {
        try (var a = SafetensorsFile.open(expected); var b = SafetensorsFile.open(actual)) {
            assertEquals(a.names(), b.names());
            for (String name : a.names()) assertEquals(-1L, a.tensor(name).data().mismatch(b.tensor(name).data()), actual + ": " + name);
        }
    }
}
