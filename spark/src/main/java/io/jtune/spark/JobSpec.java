package io.jtune.spark;

import io.jtune.train.TrainerListener;
import java.io.Serializable;
import java.util.List;

/**
 * What the driver ships to every barrier task: the config as the driver read it (its text, where
 * relative file references resolve, and the overrides, relative paths already made absolute), the
 * shape of the run, and what the tasks check before they train.
 *
 * @param driverVersion   jtune's version on the driver: a worker running another refuses to train
 * @param probeNonce      the content of the probe file the driver wrote into output_dir
 * @param workers         ray_num_workers: the barrier tasks
 * @param threadsPerTask  the compute threads of each task (spark.task.cpus)
 * @param timeoutSeconds  ddp_timeout: how long a worker waits for a peer
 * @param listeners       extra listeners every worker's trainer calls (tests use them to follow the steps)
 */
public record JobSpec(String configSource, String configText, String configDir, List<String> overrides,
                      String outputDir, String driverVersion, String probeNonce, int workers, int threadsPerTask,
                      int timeoutSeconds, List<ShippedListener> listeners) implements Serializable {
    public JobSpec {
        overrides = List.copyOf(overrides);
        listeners = List.copyOf(listeners);
    }

    /** A trainer listener that travels to the executors with the job. */
    public interface ShippedListener extends TrainerListener, Serializable {}

    JobSpec withListeners(List<ShippedListener> extra) {
        return new JobSpec(configSource, configText, configDir, overrides, outputDir, driverVersion, probeNonce, workers,
                threadsPerTask, timeoutSeconds, extra);
    }

    JobSpec withDriverVersion(String version) {
        return new JobSpec(configSource, configText, configDir, overrides, outputDir, version, probeNonce, workers,
                threadsPerTask, timeoutSeconds, listeners);
    }

    JobSpec withProbeNonce(String nonce) {
        return new JobSpec(configSource, configText, configDir, overrides, outputDir, driverVersion, nonce, workers,
                threadsPerTask, timeoutSeconds, listeners);
    }
}
