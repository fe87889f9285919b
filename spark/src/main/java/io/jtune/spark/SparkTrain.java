package io.jtune.spark;

import io.jtune.JtuneException;
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
    private SparkTrain() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: spark-submit --class io.jtune.spark.SparkTrain jtune-spark.jar CONFIG.yaml [key=value ...]");
            System.exit(2);
        }
        SparkConf conf = new SparkConf().setAppName("jtune train " + Path.of(args[0]).getFileName());
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            JobSpec spec = DistributedTraining.prepare(Path.of(args[0]), List.of(Arrays.copyOfRange(args, 1, args.length)),
                    sc.getConf().getInt("spark.task.cpus", 1));
            System.out.println("jtune-spark: training with " + spec.workers() + " worker(s) into " + spec.outputDir());
            DistributedTraining.Result result = DistributedTraining.run(sc, spec);
            System.out.println("jtune-spark: trained " + result.globalStep() + " steps (train_loss " + result.trainLoss()
                    + "); saved to " + result.outputDir());
        } catch (JtuneException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
