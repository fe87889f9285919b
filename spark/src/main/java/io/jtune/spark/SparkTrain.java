package io.jtune.spark;

import io.jtune.JtuneException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code spark-submit --class io.jtune.spark.SparkTrain jtune-spark.jar CONFIG [key=value ...]}: `jtune
 * train` with ray_num_workers workers as one Spark barrier stage on whatever master spark-submit
 * names (local, standalone, YARN, Kubernetes). The config's paths must be on storage every executor
 * sees at the same path (docs/distributed.md).
 */
public final class SparkTrain {
    static final String USAGE = "usage: spark-submit --class io.jtune.spark.SparkTrain jtune-spark.jar CONFIG.yaml [key=value ...]";

    private SparkTrain() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println(USAGE);
            System.exit(2);
        }
        SparkConf conf = new SparkConf().setAppName("jtune train " + Path.of(args[0]).getFileName());
        int status;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            status = run(sc, args, System.out, System.err);
        }
        System.exit(status);
    }

    /** Trains with {@code args} (CONFIG and overrides) on {@code sc}; returns the exit status (0, or 1 after one error line). */
    static int run(JavaSparkContext sc, String[] args, PrintStream out, PrintStream err) {
        try {
            JobSpec spec = DistributedTraining.prepare(Path.of(args[0]), List.of(Arrays.copyOfRange(args, 1, args.length)),
                    sc.getConf().getInt("spark.task.cpus", 1));
            out.println("jtune-spark: training with " + spec.workers() + " worker(s) into " + spec.outputDir());
            DistributedTraining.Result result = DistributedTraining.run(sc, spec);
            out.println("jtune-spark: trained " + result.globalStep() + " steps (train_loss " + result.trainLoss()
                    + "); saved to " + result.outputDir());
            return 0;
        } catch (JtuneException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
