package io.jtune.spark;

import io.jtune.JtuneException;
import io.jtune.JtuneVersion;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.tensor.Parallel;
import io.jtune.train.ResumeDecision;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.workflow.TrainWorkflow;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.BarrierTaskContext;

/**
 * One barrier task: one worker of the run. It checks that it may train (the driver's jtune version,
 * the shared output_dir), agrees with the others on where training starts (rank 0's look at
 * output_dir, so that a retried stage resumes from the last complete checkpoint), joins the socket
 * ring and trains its shares of the steps.
 *
 * <p>A problem every worker meets alike (a config error, divergence) ends the task with an error line
 * that the driver reports, without a retry; a lost peer or executor throws, and Spark retries the
 * stage.
 */
final class TrainTask implements Serializable {
    static final String OK = "OK";
    static final String ERROR = "ERROR";

    private final JobSpec spec;

    TrainTask(JobSpec spec) {
        this.spec = spec;
    }

    /** Runs this worker; returns one line: "OK\tstep\ttrain loss" or "ERROR\tmessage". */
    String run(BarrierTaskContext ctx) throws IOException {
        int rank = ctx.partitionId();
        int attempt = ctx.stageAttemptNumber();
        String address = ctx.getTaskInfos()[rank].address();
        String host = address.contains(":") ? address.substring(0, address.lastIndexOf(':')) : address;
        Path outputDir = Path.of(spec.outputDir());
        String worker = "worker " + rank + " on " + host;

        // 1. may this worker train? every worker says, and all stop on the first problem
        String problem = setupProblem(outputDir, worker);
        Optional<String> first = Arrays.stream(ctx.allGather(problem == null ? "" : problem)).filter(p -> !p.isEmpty()).findFirst();
        if (first.isPresent()) return ERROR + "\t" + first.get();

        // 2. where training starts: rank 0 looks, every worker follows
        String start = "";
        String startProblem = "";
        if (rank == 0) {
            try {
                start = startingPoint(attempt, outputDir);
            } catch (JtuneException e) {
                startProblem = e.getMessage();
            }
        }
        String[] starts = ctx.allGather(rank == 0 ? (startProblem.isEmpty() ? "S" + start : "E" + startProblem) : "");
        if (starts[0].startsWith("E")) return ERROR + "\t" + starts[0].substring(1);
        start = starts[0].substring(1);

        List<String> overrides = new ArrayList<>(spec.overrides());
        if (start.equals(FRESH)) {
            overrides.add("overwrite_output_dir=true");
        } else if (!start.isEmpty()) {
            overrides.add("resume_from_checkpoint=" + start);
        }
        JtuneConfig config;
        try {
            config = ConfigLoader.fromText(spec.configSource(), spec.configText(), Path.of(spec.configDir()), overrides);
        } catch (JtuneException e) {
            return ERROR + "\t" + e.getMessage();
        }

        // 3. the ring: every worker's address through Spark, then plain sockets
        if (spec.threadsPerTask() > 0) Parallel.setThreads(spec.threadsPerTask());
        int timeout = Math.toIntExact(Math.min(Integer.MAX_VALUE, spec.timeoutSeconds() * 1000L));
        try (ServerSocket server = new ServerSocket(0)) {
            List<String> addresses = List.of(ctx.allGather(host + ":" + server.getLocalPort()));
            String runId = spec.probeNonce() + "/" + attempt;
            try (SocketRing ring = SocketRing.join(rank, server, addresses, runId, timeout)) {
                PrintStream log = System.out;
                log.println("jtune-spark: " + worker + " of " + spec.workers() + " (stage attempt " + attempt + ")"
                        + (start.isEmpty() || start.equals(FRESH) ? "" : ", resuming from " + start));
                List<TrainerListener> listeners = new ArrayList<>(spec.listeners());
                TrainOutcome outcome;
                try {
                    outcome = new TrainWorkflow(config, log).asWorkerOf(ring).run(listeners).outcome();
                } catch (JtuneException e) {
                    return ERROR + "\t" + e.getMessage();
                }
                return OK + "\t" + outcome.globalStep() + "\t" + outcome.trainLoss();
            }
        }
    }

    /** Marks a retried attempt that found no checkpoint: it starts over, replacing the failed attempt's files. */
    private static final String FRESH = "-";

    /** Rank 0's decision: "" for what the config says, a checkpoint to resume from, or {@link #FRESH}. */
    private String startingPoint(int attempt, Path outputDir) {
        JtuneConfig config = ConfigLoader.fromText(spec.configSource(), spec.configText(), Path.of(spec.configDir()), spec.overrides());
        if (attempt == 0) {
            // the first attempt follows LLaMA-Factory's rule (resume_from_checkpoint, or the last checkpoint unless overwriting)
            return ResumeDecision.resolve(outputDir, config.training().resumeFromCheckpoint(), config.training().doTrain(),
                    config.training().overwriteOutputDir()).map(Path::toString).orElse("");
        }
        // a retry continues from the failed attempt's last complete checkpoint (checkpoints appear whole, by a rename)
        Optional<Path> last = ResumeDecision.lastCheckpoint(outputDir);
        if (last.isPresent()) return last.get().toString();
        return config.training().resumeFromCheckpoint() != null ? "" : FRESH;
    }

    private String setupProblem(Path outputDir, String worker) {
        String mine = JtuneVersion.get();
        if (!mine.equals(spec.driverVersion())) {
            return "jtune versions differ: the driver runs " + spec.driverVersion() + ", " + worker + " runs " + mine
                    + "; ship the same jtune jars to the executors (spark-submit --jars, or the same image)";
        }
        return SharedOutputProbe.problem(outputDir, spec.probeNonce(), worker);
    }
}
