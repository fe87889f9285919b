package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.cli.Main;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import io.jtune.model.ModelBuilder;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `jtune train` with use_dora and LoRA+, and with pissa_init and pissa_convert: LLaMA-Factory's output folders. */
@Timeout(300)
class AdapterMethodsEndToEndTest {
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

    private static String config(Path out, String extra) {
        return String.join("\n",
                "model_name_or_path: " + model, "stage: sft", "do_train: true", "finetuning_type: lora",
                "dataset: support_shop", "dataset_dir: " + DATA, "template: chatml", "cutoff_len: 64",
                "max_samples: 16", "output_dir: " + out, "overwrite_output_dir: true",
                "per_device_train_batch_size: 2", "learning_rate: 1.0e-3", "max_steps: 4", "logging_steps: 1",
                "save_steps: 2", "lora_rank: 4", extra, "");
    }

    private static String train(Path yaml) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            int rc = Main.newCommandLine().execute("train", yaml.toString());
            assertEquals(0, rc, buf.toString());
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    @Test
    void doraWithLoraPlusWritesPeftsDoraAdapter(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out"), yaml = tmp.resolve("dora.yaml");
        Files.writeString(yaml, config(out, "use_dora: true\nloraplus_lr_ratio: 16\nlora_dropout: 0.1"));
        String log = train(yaml);
        assertTrue(log.contains("(lora: DoRA)") && log.contains("Using LoRA+ optimizer with loraplus lr ratio 16.00."), log);
        JsonNode adapter = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertTrue(adapter.get("use_dora").asBoolean(), adapter.toString());
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(st.tensor("base_model.model.model.layers.1.mlp.down_proj.lora_magnitude_vector").hasShape(32));
            assertEquals(2 * 7 * 3, st.names().size());
        }
        assertTrue(Files.exists(out.resolve("checkpoint-2/adapter_model.safetensors")));
    }

    @Test
    void pissaConvertWritesLlamaFactorysFoldersAndTheConvertedLoraReproducesTheAdapter(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out"), yaml = tmp.resolve("pissa.yaml");
        Files.writeString(yaml, config(out, "pissa_init: true\npissa_iter: 4\npissa_convert: true"));
        String log = train(yaml);
        assertTrue(log.contains("(lora: PiSSA (fast SVD, 4 iterations))"), log);
        assertTrue(log.contains("Converted PiSSA adapter will be saved at: " + out.resolve("pissa_converted")), log);
        assertEquals("pissa_niter_4", JSON.readTree(out.resolve("adapter_config.json").toFile()).get("init_lora_weights").asText());
        for (String dir : new String[] {"pissa_init", "pissa_backup"}) {
            JsonNode c = JSON.readTree(out.resolve(dir).resolve("adapter_config.json").toFile());
            assertTrue(c.get("init_lora_weights").asBoolean(), dir + ": " + c);
            assertEquals(4, c.get("r").asInt());
        }
        JsonNode converted = JSON.readTree(out.resolve("pissa_converted/adapter_config.json").toFile());
        assertEquals(8, converted.get("r").asInt());
        assertEquals(16, converted.get("lora_alpha").asInt());
        assertTrue(converted.get("init_lora_weights").asBoolean());

        try (HfModelDirectory hf = HfModelDirectory.open(model)) {
            CausalLM base = ModelBuilder.frozen(hf.config(), new HfWeightSource(hf));
            int[] ids = {5, 17, 33, 90, 12, 7, 41, 3};
            int[] positions = {0, 1, 2, 3, 4, 5, 6, 7}, segments = {1, 1, 1, 1, 1, 1, 1, 1};
            Batch batch = new Batch(1, ids.length, ids, ids, positions, segments);
            LoraAdapter pissa = PeftAdapters.load(base, "pissa", out);          // re-derives the residual
            LoraAdapter plain = PeftAdapters.load(base, "converted", out.resolve("pissa_converted"));
            double[] want = base.forward(batch, pissa, false, null).tokenLogProbs();
            double[] got = base.forward(batch, plain, false, null).tokenLogProbs();
            double[] untrained = base.forward(batch, null, false, null).tokenLogProbs();
            double moved = 0;
            for (int t = 0; t < want.length - 1; t++) {
                assertEquals(want[t], got[t], 1e-4, "token " + t);
                moved = Math.max(moved, Math.abs(want[t] - untrained[t]));
            }
            assertTrue(moved > 1e-4, "training changed the model: " + moved);
        }
    }
}
