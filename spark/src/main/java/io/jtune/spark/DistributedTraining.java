package io.jtune.spark;

import io.jtune.JtuneException;
import io.jtune.JtuneVersion;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The driver's side of a run: reads and checks the config, writes the shared-storage probe, and runs
 * ray_num_workers barrier tasks ({@link TrainTask}) as one Spark stage. Spark schedules them all at
 * once and retries the stage as a whole when one fails; the retried tasks resume from the last
 * checkpoint in output_dir.
 */
public final class DistributedTraining {
    /** How a run ended: rank 0's last step and average training loss, and where it saved. */
    public record Result(int globalStep, double trainLoss, Path outputDir) {}

    /** Keys whose relative paths the driver makes absolute: the executors' working folders differ from its own. */
    private static final List<String> PATH_KEYS = List.of("dataset_dir", "tokenized_path", "model_name_or_path", "adapter_name_or_path");

    private DistributedTraining() {}

    /**
     * Reads {@code configFile} with {@code overrides} as `jtune train` would and prepares the job.
     *
     * @param taskCpus spark.task.cpus: the cores Spark gives each task, which resources_per_worker must match
     */
    public static JobSpec prepare(Path configFile, List<String> overrides, int taskCpus) {
        String text;
        try {
            text = Files.readString(configFile);
        } catch (IOException e) {
            throw new JtuneException("cannot read config file " + configFile + ": " + e.getMessage(), e);
        }
        JtuneConfig config = ConfigLoader.load(configFile, overrides);
        Map<String, Object> values = config.values();
        int workers = ((Number) values.get("ray_num_workers")).intValue();
        if (workers < 1) throw new JtuneException("ray_num_workers: " + workers + "; the workers of a run are at least 1");
        int threads = threadsPerWorker(values.get("resources_per_worker"), taskCpus);

        List<String> absolute = new ArrayList<>(overrides);
        Path outputDir = Path.of(config.training().outputDir());
        Object storage = values.get("ray_storage_path");
        if (!outputDir.isAbsolute() && storage != null) outputDir = Path.of(storage.toString()).resolve(outputDir);
        outputDir = outputDir.toAbsolutePath().normalize();
        absolute.add("output_dir=" + outputDir);
        for (String key : PATH_KEYS) {
            Object v = values.get(key);
            if (v instanceof String s && !s.isBlank() && !Path.of(s).isAbsolute() && Files.exists(Path.of(s))) {
                absolute.add(key + "=" + Path.of(s).toAbsolutePath().normalize());
            }
        }
        Path configDir = configFile.toAbsolutePath().getParent();
        String nonce = SharedOutputProbe.write(outputDir);
        return new JobSpec(configFile.getFileName().toString(), text, configDir.toString(), absolute, outputDir.toString(),
                JtuneVersion.get(), nonce, workers, threads, ((Number) values.get("ddp_timeout")).intValue(), List.of());
    }

    /** resources_per_worker's CPU count (the compute threads of a task), checked against spark.task.cpus. */
    static int threadsPerWorker(Object resources, int taskCpus) {
        if (resources == null) return taskCpus;
        if (!(resources instanceof Map<?, ?> m)) {
            throw new JtuneException("resources_per_worker: " + resources + " is not a mapping; write e.g. {CPU: " + taskCpus + "}");
        }
        int threads = taskCpus;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (name.equalsIgnoreCase("CPU") && e.getValue() instanceof Number n) {
                threads = n.intValue();
            } else if (name.equalsIgnoreCase("GPU")) {
                if (e.getValue() instanceof Number n && n.doubleValue() == 0) continue;
                throw new JtuneException("resources_per_worker: GPU is not supported; jtune trains on CPUs (give {CPU: n})");
            } else {
                throw new JtuneException("resources_per_worker: " + name + "=" + e.getValue() + " is not supported; only CPU: n");
            }
        }
        if (threads != taskCpus) {
            throw new JtuneException("resources_per_worker: CPU " + threads + " but Spark gives each task " + taskCpus
                    + " core(s); pass --conf spark.task.cpus=" + threads + " to spark-submit (a worker is one task)");
        }
        return threads;
    }

    /** Runs the barrier stage and returns rank 0's outcome; one clear error when the workers refused or failed alike. */
    public static Result run(JavaSparkContext sc, JobSpec spec) {
        try {
            TrainTask task = new TrainTask(spec);
            List<String> rows = BarrierStage.run(sc, spec.workers(), task::run);
            // workers stop alike on a problem they all meet: the first one's message is the run's
            for (String row : rows) {
                String[] f = row.split("\t", 3);
                if (f[0].equals(TrainTask.ERROR)) throw new JtuneException(f[1]);
            }
            String[] rank0 = rows.get(0).split("\t", 3);
            return new Result(Integer.parseInt(rank0[1]), Double.parseDouble(rank0[2]), Path.of(spec.outputDir()));
        } finally {
            SharedOutputProbe.remove(Path.of(spec.outputDir()));
        }
    }
}
