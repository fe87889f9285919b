package io.jtune.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.train.TrainerListener;
import io.jtune.train.workflow.TrainWorkflow;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example of docs/java-api.md, run on a tiny model. */
class JavaApiExampleTest {
    @Test
    void theDocumentedExampleRuns(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        TinyModelFactory.create(model, new CorpusGenerator(3).documents(100), 400, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 1);

        // --- the example in docs/java-api.md ---
        List<Double> losses = new ArrayList<>();
        TrainWorkflow.Result result = Jtune.train(Map.of(
                        "model_name_or_path", model.toString(),
                        "stage", "sft",
                        "do_train", true,
                        "finetuning_type", "lora",
                        "dataset", "support_shop",
                        "dataset_dir", "data",
                        "template", "chatml",
                        "output_dir", tmp.resolve("out").toString(),
                        "max_steps", 3,
                        "max_samples", 12),
                new PrintStream(OutputStream.nullOutputStream()),
                List.of(new TrainerListener() {
                    @Override public void onLog(StepLog log) { losses.add(log.loss()); }
                }));
        // ---

        assertEquals(3, result.outcome().globalStep());
        assertEquals(1, losses.size(), "logged at the last step (logging_steps defaults to 5)");
        assertTrue(Files.exists(result.outputDir().resolve("adapter_model.safetensors")));
    }
}
