package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.train.DataParallel;
import io.jtune.train.InProcessGroup;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.train.TrainerListener;
import java.io.OutputStream;
import java.util.Map;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's data-parallel seam without Spark: workers as threads ({@link InProcessGroup}) train
 * their shares of each step, and the run equals one worker with the accumulation multiplied by the
 * worker count — the same logged losses and the same adapter bytes — with rank 0 alone writing.
 */
@Timeout(300)
class DataParallelEndToEndTest {
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

    /** 16 examples, 2 a micro-batch: 8 micro-batches an epoch. */
    static List<String> config(Path out, int accumulation, String... extra) {
        List<String> lines = new ArrayList<>(List.of(
                "model_name_or_path=" + model, "stage=sft", "do_train=true", "finetuning_type=lora", "lora_rank=4",
                "dataset=support_shop", "dataset_dir=" + DATA, "template=chatml", "cutoff_len=96", "max_samples=16",
                "output_dir=" + out, "per_device_train_batch_size=2", "gradient_accumulation_steps=" + accumulation,
                "learning_rate=5.0e-3", "num_train_epochs=2", "logging_steps=1", "save_steps=2", "lr_scheduler_type=cosine",
                "max_grad_norm=1.0"));
        lines.addAll(List.of(extra));
        return lines;
    }

    /** Runs the workers of one run, each on its own thread; returns each worker's loss of every step, as the trainer computed it. */
    static List<List<Double>> runWorkers(int workers, List<String> overrides) throws Exception {
        InProcessGroup group = new InProcessGroup(workers);
        // as the Spark driver does: output_dir exists before the workers check it
        overrides.stream().filter(o -> o.startsWith("output_dir=")).forEach(o -> {
            try {
                Files.createDirectories(Path.of(o.substring("output_dir=".length())));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<List<Double>>> runs = new ArrayList<>();
            for (int r = 0; r < workers; r++) {
                DataParallel worker = workers == 1 ? DataParallel.SINGLE : group.worker(r);
                runs.add(pool.submit(() -> {
                    List<Double> losses = new ArrayList<>();
                    TrainerListener steps = new TrainerListener() {
                        @Override
                        public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
                            losses.add(loss);
                        }
                    };
                    try {
                        new TrainWorkflow(ConfigLoader.fromMap("test", Map.of(), overrides), new PrintStream(OutputStream.nullOutputStream()))
                                .asWorkerOf(worker).run(List.of(steps));
                    } catch (RuntimeException | java.io.IOException e) {
                        group.abort(); // the others stop at their next exchange instead of waiting for this worker
                        throw e;
                    }
                    return losses;
                }));
            }
            List<List<Double>> losses = new ArrayList<>();
            java.util.concurrent.ExecutionException failure = null;
            for (Future<List<Double>> f : runs) {
                try {
                    losses.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    // report the worker that failed, not the ones its abort stopped
                    if (failure == null || (isStopped(failure) && !isStopped(e))) failure = e;
                }
            }
            if (failure != null) throw failure;
            return losses;
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean isStopped(java.util.concurrent.ExecutionException e) {
        return e.getCause() instanceof IllegalStateException && e.getCause().getCause() instanceof java.util.concurrent.BrokenBarrierException;
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

    static void assertClose(List<Double> expected, List<Double> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), 1e-6 * Math.abs(expected.get(i)), "the loss of step " + (i + 1));
        }
    }

    @Test
    void twoWorkersEqualOneWithDoubleAccumulation(@TempDir Path tmp) throws Exception {
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        List<Double> single = runWorkers(1, config(one, 2)).get(0);
        List<List<Double>> workers = runWorkers(2, config(two, 1));
        assertEquals(workers.get(0), workers.get(1), "every worker computes the same loss, bit for bit");
        assertEquals(8, single.size());
        // before the first update the weights are the same, and the loss is summed in the same order
        assertEquals(single.get(0), workers.get(0).get(0), 0.0, "step 1 bit for bit");
        assertClose(single, workers.get(0));
        double difference = adapterDifference(one, two);
        System.out.println("DataParallelEndToEndTest: 2 workers x 1 vs 1 x 2: losses " + single + " vs " + workers.get(0)
                + "; adapter max relative difference " + difference);
        assertTrue(difference < 1e-5, "the final adapters differ by float rounding at most: " + difference);
        // rank 0 alone writes, and writes what one machine writes
        assertEquals(Files.readAllLines(one.resolve("trainer_log.jsonl")).size(), Files.readAllLines(two.resolve("trainer_log.jsonl")).size());
        assertTrue(Files.isDirectory(two.resolve("checkpoint-8")) && Files.isDirectory(two.resolve("checkpoint-4")));
        JsonNode a = JSON.readTree(one.resolve("trainer_state.json").toFile()), b = JSON.readTree(two.resolve("trainer_state.json").toFile());
        assertEquals(a.get("num_input_tokens_seen"), b.get("num_input_tokens_seen"));
        assertEquals(a.get("global_step"), b.get("global_step"));
    }

    @Test
    void fourWorkersWithTwoMicroBatchesEachEqualOneWithEight(@TempDir Path tmp) throws Exception {
        Path one = tmp.resolve("one"), four = tmp.resolve("four");
        List<Double> single = runWorkers(1, config(one, 8)).get(0);
        List<List<Double>> workers = runWorkers(4, config(four, 2));
        assertEquals(single.get(0), workers.get(3).get(0), 0.0, "step 1 bit for bit");
        assertClose(single, workers.get(3));
        double difference = adapterDifference(one, four);
        System.out.println("DataParallelEndToEndTest: 4 workers x 2 vs 1 x 8: adapter max relative difference " + difference);
        assertTrue(difference < 1e-5, "the final adapters differ by float rounding at most: " + difference);
    }

    @Test
    void fullFineTuningOverTwoWorkersEqualsOneMachine(@TempDir Path tmp) throws Exception {
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        List<Double> single = runWorkers(1, config(one, 2, "finetuning_type=full", "max_steps=3", "learning_rate=1.0e-3")).get(0);
        List<List<Double>> workers = runWorkers(2, config(two, 1, "finetuning_type=full", "max_steps=3", "learning_rate=1.0e-3"));
        assertEquals(workers.get(0), workers.get(1));
        assertEquals(single.get(0), workers.get(0).get(0), 0.0, "step 1 bit for bit");
        assertClose(single, workers.get(0));
        assertTrue(Files.isRegularFile(two.resolve("model.safetensors")));
    }

    /** Early stopping steers every worker: they all evaluate (alike) when a metric is watched, and stop at the same step. */
    @Test
    void aWatchedMetricStopsEveryWorkerAtTheSameStep(@TempDir Path tmp) throws Exception {
        String[] watch = {"val_size=0.2", "max_samples=20", "eval_strategy=steps", "eval_steps=1", "per_device_eval_batch_size=4",
                "metric_for_best_model=eval_loss", "early_stopping_steps=1", "load_best_model_at_end=true", "learning_rate=2.0",
                "lr_scheduler_type=constant", "max_grad_norm=1.0"};
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        List<Double> single = runWorkers(1, config(one, 2, watch)).get(0);
        List<List<Double>> workers = runWorkers(2, config(two, 1, watch));
        assertEquals(workers.get(0), workers.get(1), "both workers ran the same steps");
        assertTrue(single.size() < 8, "the large learning rate makes eval_loss rise and stops the run early: " + single);
        assertEquals(single.size(), workers.get(0).size(), "the same stopping step");
        JsonNode a = JSON.readTree(one.resolve("trainer_state.json").toFile()), b = JSON.readTree(two.resolve("trainer_state.json").toFile());
        assertEquals(a.get("best_global_step"), b.get("best_global_step"));
        assertEquals(a.get("best_metric").asDouble(), b.get("best_metric").asDouble(), 1e-6 * a.get("best_metric").asDouble());
    }

    @Test
    void aWorkerCountThatDoesNotDivideTheMicroBatchesIsRefused(@TempDir Path tmp) {
        Exception e = assertThrows(Exception.class, () -> runWorkers(3, config(tmp.resolve("out"), 1)));
        Throwable cause = e.getCause();
        assertTrue(cause instanceof JtuneException, String.valueOf(cause));
        assertEquals("the training data makes 8 micro-batches (of per_device_train_batch_size) an epoch, which 3 workers"
                + " cannot share evenly; choose a worker count that divides it, or change max_samples or per_device_train_batch_size",
                cause.getMessage());
        assertFalse(Files.exists(tmp.resolve("out/trainer_log.jsonl")));
    }
}
