package io.jtune.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on Spark's local-cluster master: a standalone master and two workers in this JVM, each
 * worker launching an executor JVM of its own, so the barrier tasks are separate processes as on a
 * real cluster. SPARK_HOME is the folder the build assembles from Spark's Maven jars (jars/ and an
 * empty RELEASE file).
 */
@Timeout(300)
class LocalClusterTrainingTest {
    @TempDir static Path shared;
    static Path model;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() throws IOException {
        Path sparkHome = Path.of(System.getProperty("jtune.spark.home"));
        Files.createDirectories(sparkHome.resolve("jars"));
        if (!Files.exists(sparkHome.resolve("RELEASE"))) Files.createFile(sparkHome.resolve("RELEASE"));
        model = TrainingFixture.tinyModel(shared);
        sc = new JavaSparkContext(new SparkConf()
                .setMaster("local-cluster[2,1,1024]").setAppName("jtune-local-cluster-test")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.executor.memory", "768m")
                // while executors start (and after one is lost) the barrier stage waits for free slots: look every second, not 15
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                // the executors run jtune and these tests' classes from this JVM's class path, with jtune's JVM flags
                // (Spark adds the --add-opens it needs to executor JVMs itself)
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.close();
    }

    /** Ends the executor JVM of one worker at one step of the stage's first attempt, as a lost machine would. */
    record HaltAt(int rank, int step) implements JobSpec.ShippedListener {
        @Override
        public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            if (step == this.step && ctx.partitionId() == rank && ctx.stageAttemptNumber() == 0) Runtime.getRuntime().halt(137);
        }
    }

    @Test
    void executorJvmsTrainAsOneMachineAndALostExecutorsStageResumesExactly(@TempDir Path tmp) throws Exception {
        // one epoch of 4 steps, a checkpoint every 2
        List<String> oneEpoch = List.of("num_train_epochs=1");
        List<Double> single = TrainingFixture.trainOnOneMachine(TrainingFixture.config(tmp.resolve("one"), model, 1, 2), oneEpoch);

        TrainingFixture.LossFile losses = new TrainingFixture.LossFile(tmp.resolve("losses.txt").toString());
        JobSpec spec = DistributedTraining.prepare(TrainingFixture.config(tmp.resolve("two"), model, 2, 1), oneEpoch, 1)
                .withListeners(List.of(losses));
        assertEquals(4, DistributedTraining.run(sc, spec).globalStep());
        TrainingFixture.assertLossesClose(single, losses.read());
        double difference = TrainingFixture.adapterDifference(tmp.resolve("one/out"), tmp.resolve("two/out"));
        System.out.println("LocalClusterTrainingTest: local-cluster 2 workers x 1 vs 1 x 2: adapter max relative difference " + difference);
        assertTrue(difference < 1e-5, "the adapters differ by float rounding at most: " + difference);

        // the same run, with worker 1's executor gone at step 3 (after checkpoint-2): Spark retries the stage, which resumes
        TrainingFixture.LossFile killedLosses = new TrainingFixture.LossFile(tmp.resolve("killed-losses.txt").toString());
        JobSpec killed = DistributedTraining.prepare(TrainingFixture.config(tmp.resolve("killed"), model, 2, 1), oneEpoch, 1)
                .withListeners(List.of(killedLosses, new HaltAt(1, 3)));
        assertEquals(4, DistributedTraining.run(sc, killed).globalStep());
        assertTrue(Files.readString(tmp.resolve("killed/out/trainer_log.jsonl")).contains("\"current_steps\": 4"));
        assertEquals(losses.read(), killedLosses.read(), "every step's loss, bit for bit");
        assertArrayEquals(Files.readAllBytes(tmp.resolve("two/out/adapter_model.safetensors")),
                Files.readAllBytes(tmp.resolve("killed/out/adapter_model.safetensors")), "the final adapter equals the uninterrupted run's");
        try (var entries = Files.list(tmp.resolve("killed/out"))) {
            assertTrue(entries.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no partial checkpoint left");
        }
    }
}
