package io.jtune.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.tensor.Parallel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of `jtune bench step` (a setup at one sequence length), timed in a JVM of its own, the way
 * the PyTorch column runs in a process of its own. A JVM keeps the heap it once grew, so rows timed
 * one after another in one process would each inherit the footprint of the largest before them;
 * here each row's peak RSS is what `jtune train` would need for that step, start-up included.
 *
 * <p>Prints one JSON object on standard output (progress and errors go to standard error):
 * seconds per step, tokens/s, model FLOPs per step, peak RSS and the last loss, or {"error": ...}.
 * It can be run alone, e.g. under /usr/bin/time -v for the peak RSS of one setup:
 * {@code java ... io.jtune.bench.StepWorker --model llama2-7b --weights nf4 --gradient-checkpointing on
 * --seq 256 --steps 2 --warmup-steps 1 --threads 2}.
 */
public final class StepWorker {
    private StepWorker() {}

    /**
     * What a worker is asked to time.
     *
     * @param pairs 0 for `jtune bench step`'s LoRA SFT step on one sequence; otherwise the preference pairs of
     *              `jtune bench dpo`'s batch ({@link PreferenceStepSetup}), trained as {@code kind}
     * @param kind  "sft" or "dpo" when pairs > 0
     */
    public record Request(String model, FrozenWeights weights, boolean gradientCheckpointing, int seq, int steps, int warmupSteps,
                          int threads, int pairs, String kind) {
        /** `jtune bench step`'s request: one sequence, LoRA SFT. */
        public Request(String model, FrozenWeights weights, boolean gradientCheckpointing, int seq, int steps, int warmupSteps, int threads) {
            this(model, weights, gradientCheckpointing, seq, steps, warmupSteps, threads, 0, "sft");
        }

        List<String> arguments() {
            return List.of("--model", model, "--weights", weights.label(), "--gradient-checkpointing",
                    gradientCheckpointing ? "on" : "off", "--seq", Integer.toString(seq), "--steps", Integer.toString(steps),
                    "--warmup-steps", Integer.toString(warmupSteps), "--threads", Integer.toString(threads),
                    "--pairs", Integer.toString(pairs), "--kind", kind);
        }

        static Request parse(String[] args) {
            Map<String, String> named = new LinkedHashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) named.put(args[i], args[i + 1]);
            return new Request(required(named, "--model"), FrozenWeights.parse(required(named, "--weights")),
                    required(named, "--gradient-checkpointing").equals("on"), Integer.parseInt(required(named, "--seq")),
                    Integer.parseInt(required(named, "--steps")), Integer.parseInt(required(named, "--warmup-steps")),
                    Integer.parseInt(required(named, "--threads")), Integer.parseInt(named.getOrDefault("--pairs", "0")),
                    named.getOrDefault("--kind", "sft"));
        }

        /** The setup this request times. */
        TrainingStep.Factory setup() {
            return pairs == 0 ? new LoraStepSetup(model, weights, gradientCheckpointing)
                    : new PreferenceStepSetup(model, weights, gradientCheckpointing, pairs, PreferenceStepSetup.Kind.of(kind));
        }

        private static String required(Map<String, String> named, String key) {
            String v = named.get(key);
            if (v == null) throw new IllegalArgumentException("StepWorker needs " + key + " (got " + named.keySet() + ")");
            return v;
        }
    }

    public static void main(String[] args) {
        ObjectNode result;
        try {
            Request r = Request.parse(args);
            Parallel.setThreads(r.threads());
            result = measure(r.setup(), r.seq(), r.steps(), r.warmupSteps());
        } catch (RuntimeException | OutOfMemoryError e) {
            result = ResultsFile.JSON.createObjectNode().put("error", "jtune step failed: " + e);
        }
        System.out.println(result.toString());
        System.exit(0);
    }

    /** Warm-up steps, then timed steps: their median, the step's FLOPs, the last loss and this process's peak RSS. */
    static ObjectNode measure(TrainingStep.Factory factory, int seq, int steps, int warmupSteps) {
        try (TrainingStep step = factory.create(seq)) {
            for (int i = 0; i < warmupSteps; i++) step.step();
            double[] times = new double[steps];
            double loss = Double.NaN;
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                loss = step.step();
                times[i] = (System.nanoTime() - t0) / 1e9;
            }
            double seconds = Measure.median(times);
            ObjectNode o = ResultsFile.JSON.createObjectNode();
            o.put("setup", factory.name()).put("seq", seq).put("seconds_per_step", seconds)
                    .put("tokens_per_s", step.tokensPerStep() / seconds).put("flops_per_step", step.flopsPerStep())
                    .put("peak_rss_bytes", Machine.peakRssBytes()).put("loss", loss);
            var stepTimes = o.putArray("step_times");
            for (double t : times) stepTimes.add(t);
            return o;
        }
    }

    /**
     * The command that runs {@link #main} in a fresh JVM: this JVM's binary, flags and class path. A
     * flight recording or debugger agent of the parent is not passed on (two processes cannot share them).
     */
    static List<String> command(Request request) {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java));
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("-XX:StartFlightRecording") || flag.startsWith("-agentlib:")) continue;
            command.add(flag);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StepWorker.class.getName()));
        command.addAll(request.arguments());
        return command;
    }
}
