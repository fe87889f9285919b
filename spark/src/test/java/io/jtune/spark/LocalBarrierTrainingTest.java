package io.jtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training as a barrier stage in Spark's local mode (tasks as threads of this JVM, sockets over
 * loopback): two workers equal one machine with double accumulation, and each bad setup ends in
 * one clear error before any training.
 */
@Timeout(240)
class LocalBarrierTrainingTest {
    @TempDir static Path shared;
    static Path model;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() throws Exception {
        model = TrainingFixture.tinyModel(shared);
        // 3 task slots, and up to 4 failures of a task before the job fails (barrier stages need them all at once)
        sc = new JavaSparkContext(new SparkConf().setMaster("local[3,4]").setAppName("jtune-local-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.close();
    }

    @Test
    void twoWorkersEqualOneMachineWithDoubleAccumulation(@TempDir Path tmp) throws Exception {
        List<Double> single = TrainingFixture.trainOnOneMachine(TrainingFixture.config(tmp.resolve("one"), model, 1, 2));
        TrainingFixture.LossFile losses = new TrainingFixture.LossFile(tmp.resolve("losses.txt").toString());
        JobSpec spec = DistributedTraining.prepare(TrainingFixture.config(tmp.resolve("two"), model, 2, 1), List.of(), 1)
                .withListeners(List.of(losses));
        DistributedTraining.Result result = DistributedTraining.run(sc, spec);
        assertEquals(8, result.globalStep());
        TrainingFixture.assertLossesClose(single, losses.read());
        double difference = TrainingFixture.adapterDifference(tmp.resolve("one/out"), tmp.resolve("two/out"));
        System.out.println("LocalBarrierTrainingTest: local[2] 2 workers x 1 vs 1 x 2: adapter max relative difference " + difference);
        assertTrue(difference < 1e-5, "the adapters differ by float rounding at most: " + difference);
        Path out = tmp.resolve("two/out");
        assertTrue(Files.isRegularFile(out.resolve("trainer_log.jsonl")) && Files.isDirectory(out.resolve("checkpoint-8")));
        assertFalse(Files.exists(out.resolve(SharedOutputProbe.FILE_NAME)), "the probe is removed after the run");
    }

    /** The spark-submit entry point: the trained adapter in output_dir, or one error line and status 1. */
    @Test
    void sparkTrainSavesTheAdapterOrPrintsOneErrorLine(@TempDir Path tmp) throws Exception {
        Path yaml = TrainingFixture.config(tmp, model, 2, 1);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(), err = new java.io.ByteArrayOutputStream();
        int status = SparkTrain.run(sc, new String[] {yaml.toString(), "max_steps=2"}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true));
        assertEquals(0, status, err.toString());
        assertTrue(out.toString().contains("jtune-spark: trained 2 steps"), out.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("out/adapter_model.safetensors")));

        err.reset();
        status = SparkTrain.run(sc, new String[] {yaml.toString(), "ray_num_workers=0"}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true));
        assertEquals(1, status);
        assertEquals("error: ray_num_workers: 0; the workers of a run are at least 1\n", err.toString());
    }

    @Test
    void aWorkerWithAnotherJtuneVersionIsRefused(@TempDir Path tmp) throws Exception {
        JobSpec spec = DistributedTraining.prepare(TrainingFixture.config(tmp, model, 2, 1), List.of(), 1).withDriverVersion("0.0.1-other");
        JtuneException e = assertThrows(JtuneException.class, () -> DistributedTraining.run(sc, spec));
        assertTrue(e.getMessage().startsWith("jtune versions differ: the driver runs 0.0.1-other, worker "), e.getMessage());
        assertTrue(e.getMessage().endsWith("; ship the same jtune jars to the executors (spark-submit --jars, or the same image)"));
        assertFalse(Files.exists(tmp.resolve("out/trainer_log.jsonl")));
    }

    /** A worker on another machine sees its own folder at output_dir's path: without the driver's probe, or with another run's. */
    @Test
    void workersThatCannotSeeOutputDirAreRefused(@TempDir Path tmp) throws Exception {
        JobSpec spec = DistributedTraining.prepare(TrainingFixture.config(tmp, model, 2, 1), List.of(), 1).withProbeNonce("not-this-run");
        JtuneException e = assertThrows(JtuneException.class, () -> DistributedTraining.run(sc, spec));
        assertTrue(e.getMessage().startsWith("output_dir " + tmp.resolve("out") + " is not shared: worker "), e.getMessage());
        assertTrue(e.getMessage().contains("does not see the folder the driver wrote to (another run's .jtune-spark-probe)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out/trainer_log.jsonl")));
    }

    @Test
    void aWorkerCountThatDoesNotDivideTheDataIsRefused(@TempDir Path tmp) throws Exception {
        JobSpec spec = DistributedTraining.prepare(TrainingFixture.config(tmp, model, 3, 1), List.of(), 1);
        JtuneException e = assertThrows(JtuneException.class, () -> DistributedTraining.run(sc, spec));
        assertEquals("the training data makes 8 micro-batches (of per_device_train_batch_size) an epoch, which 3 workers cannot"
                + " share evenly; choose a worker count that divides it, or change max_samples or per_device_train_batch_size", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out/trainer_log.jsonl")));
    }

    @Test
    void rayKeysNameTheWorkersTheirCoresAndTheSharedStorage(@TempDir Path tmp) throws Exception {
        Path yaml = TrainingFixture.config(tmp, model, 2, 1);
        JobSpec spec = DistributedTraining.prepare(yaml, List.of("resources_per_worker={CPU: 2}", "output_dir=run1",
                "ray_storage_path=" + tmp.resolve("shared")), 2);
        assertEquals(2, spec.workers());
        assertEquals(2, spec.threadsPerTask());
        assertEquals(tmp.resolve("shared/run1").toString(), spec.outputDir(), "a relative output_dir goes under ray_storage_path");
        assertTrue(Files.isRegularFile(tmp.resolve("shared/run1").resolve(SharedOutputProbe.FILE_NAME)));
        JtuneException e = assertThrows(JtuneException.class,
                () -> DistributedTraining.prepare(yaml, List.of("resources_per_worker={CPU: 2}"), 1));
        assertTrue(e.getMessage().startsWith("resources_per_worker: CPU 2 but Spark gives each task 1 core(s)"), e.getMessage());
    }

    @Test
    void resourcesPerWorkerMustMatchSparksTaskCores() {
        assertEquals(4, DistributedTraining.threadsPerWorker(java.util.Map.of("CPU", 4), 4));
        JtuneException e = assertThrows(JtuneException.class, () -> DistributedTraining.threadsPerWorker(java.util.Map.of("CPU", 4), 1));
        assertEquals("resources_per_worker: CPU 4 but Spark gives each task 1 core(s); pass --conf spark.task.cpus=4 to spark-submit"
                + " (a worker is one task)", e.getMessage());
        e = assertThrows(JtuneException.class, () -> DistributedTraining.threadsPerWorker(java.util.Map.of("GPU", 1), 1));
        assertEquals("resources_per_worker: GPU is not supported; jtune trains on CPUs (give {CPU: n})", e.getMessage());
    }
}
