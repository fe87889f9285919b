package io.jtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.config.ConfigLoader;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.train.TrainerListener;
import io.jtune.train.workflow.TrainWorkflow;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;

/** A tiny model, the repository's support_shop data, configs for it, and a one-machine reference run. */
final class TrainingFixture {
    static final Path DATA = Path.of("..", "data").toAbsolutePath().normalize();

    private TrainingFixture() {}

    static Path tinyModel(Path dir) throws IOException {
        Path model = dir.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        return model;
    }

    /** 16 examples, 2 a micro-batch: 8 micro-batches an epoch, 2 epochs, a checkpoint every 2 steps. */
    static Path config(Path dir, Path model, int workers, int accumulation, String... extra) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "model_name_or_path: " + model, "stage: sft", "do_train: true", "finetuning_type: lora", "lora_rank: 4",
                "dataset: support_shop", "dataset_dir: " + DATA, "template: chatml", "cutoff_len: 96", "max_samples: 16",
                "output_dir: " + dir.resolve("out"), "per_device_train_batch_size: 2",
                "gradient_accumulation_steps: " + accumulation, "ray_num_workers: " + workers,
                "learning_rate: 5.0e-3", "num_train_epochs: 2", "logging_steps: 1", "save_steps: 2",
                "lr_scheduler_type: cosine", "max_grad_norm: 1.0"));
        lines.addAll(List.of(extra));
        Files.createDirectories(dir);
        Path yaml = dir.resolve("train.yaml");
        Files.writeString(yaml, String.join("\n", lines) + "\n");
        return yaml;
    }

    /** `jtune train` on one machine, in this JVM; returns the loss of every step. */
    static List<Double> trainOnOneMachine(Path yaml) throws IOException {
        return trainOnOneMachine(yaml, List.of());
    }

    static List<Double> trainOnOneMachine(Path yaml, List<String> overrides) throws IOException {
        List<Double> losses = new ArrayList<>();
        TrainerListener steps = new TrainerListener() {
            @Override
            public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
                losses.add(loss);
            }
        };
        new TrainWorkflow(ConfigLoader.load(yaml, overrides), new PrintStream(OutputStream.nullOutputStream())).run(List.of(steps));
        return losses;
    }

    /** Appends rank 0's loss of every step to a file (workers may be other JVMs): "step loss" lines. */
    record LossFile(String path) implements JobSpec.ShippedListener {
        @Override
        public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
            if (BarrierTaskContext.get().partitionId() != 0) return;
            try {
                Files.writeString(Path.of(path), step + " " + loss + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** The loss of each step, the last written winning (a retried attempt writes its steps again). */
        List<Double> read() throws IOException {
            java.util.TreeMap<Integer, Double> byStep = new java.util.TreeMap<>();
            for (String line : Files.readAllLines(Path.of(path))) {
                String[] f = line.split(" ");
                byStep.put(Integer.parseInt(f[0]), Double.parseDouble(f[1]));
            }
            return new ArrayList<>(byStep.values());
        }
    }

    /** The largest difference between two adapters' values, relative to the largest value. */
    static double adapterDifference(Path a, Path b) {
        try (SafetensorsFile x = SafetensorsFile.open(a.resolve("adapter_model.safetensors"));
             SafetensorsFile y = SafetensorsFile.open(b.resolve("adapter_model.safetensors"))) {
            assertEquals(x.names(), y.names());
            double diff = 0, max = 0;
            for (String name : x.names()) {
                float[] u = x.tensor(name).toFloatArray(), v = y.tensor(name).toFloatArray();
                for (int i = 0; i < u.length; i++) {
                    diff = Math.max(diff, Math.abs(u[i] - v[i]));
                    max = Math.max(max, Math.abs(u[i]));
                }
            }
            return diff / max;
        }
    }

    static void assertLossesClose(List<Double> expected, List<Double> actual) {
        assertEquals(expected.size(), actual.size(), "steps");
        assertEquals(expected.get(0), actual.get(0), 0.0, "step 1, before any update, bit for bit");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), 1e-6 * Math.abs(expected.get(i)), "the loss of step " + (i + 1));
        }
    }
}
