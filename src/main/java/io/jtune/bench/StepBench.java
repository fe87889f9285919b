package io.jtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.tensor.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Times whole training steps, jtune's next to PyTorch eager's (benchmarks/torch_lora_step.py) at the
 * same sequence lengths and thread count: seconds/step, tokens/s, MFU (model FLOPs per second over
 * the best GEMM GFLOP/s measured in the same run) and peak RSS.
 */
public final class StepBench {
    public static final String TORCH_SCRIPT = "torch_lora_step.py";

    public record Settings(int[] seqs, int steps, int warmupSteps, int threads, boolean torch, String python, int torchLayers) {}

    /** One setup at one sequence length; torch figures null where the script did not run. */
    public record Row(String setup, int seq, double secondsPerStep, double tokensPerSecond, double mfu, long peakRssBytes,
                      double loss, Double torchSecondsPerStep, Double torchTokensPerSecond, Long torchPeakRssBytes) {
        public Double speedup() {
            return torchSecondsPerStep == null ? null : torchSecondsPerStep / secondsPerStep;
        }
    }

    private final Settings settings;
    private final double peakGflops;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> torchProblems = new ArrayList<>();

    /** {@code peakGflops}: the GEMM peak of this run, with {@code settings.threads()} threads. */
    public StepBench(Settings settings, double peakGflops) {
        this.settings = settings;
        this.peakGflops = peakGflops;
    }

    public List<Row> rows() {
        return rows;
    }

    public StepBench run(List<TrainingStep.Factory> setups, PrintStream progress) {
        int saved = Parallel.threads();
        Parallel.setThreads(settings.threads());
        try {
            for (int seq : settings.seqs()) {
                JsonNode torch = settings.torch() ? torch(seq, progress) : null;
                for (TrainingStep.Factory f : setups) rows.add(measure(f, seq, torch, progress));
            }
        } finally {
            Parallel.setThreads(saved);
        }
        if (!settings.torch()) torchProblems.add("not run (--no-torch)");
        return this;
    }

    private Row measure(TrainingStep.Factory factory, int seq, JsonNode torch, PrintStream progress) {
        progress.printf("jtune step: %s, seq %d ...%n", factory.name(), seq);
        resetPeakRss();
        try (TrainingStep step = factory.create(seq)) {
            for (int i = 0; i < settings.warmupSteps(); i++) step.step();
            double[] times = new double[settings.steps()];
            double loss = Double.NaN;
            for (int i = 0; i < times.length; i++) {
                long t0 = System.nanoTime();
                loss = step.step();
                times[i] = (System.nanoTime() - t0) / 1e9;
            }
            double seconds = Measure.median(times);
            double mfu = step.flopsPerStep() / seconds / 1e9 / peakGflops;
            return new Row(factory.name(), seq, seconds, step.tokensPerStep() / seconds, mfu, Machine.peakRssBytes(), loss,
                    torch == null ? null : torch.path("seconds_per_step").asDouble(),
                    torch == null ? null : torch.path("tokens_per_s").asDouble(),
                    torch == null ? null : torch.path("peak_rss_bytes").asLong());
        }
    }

    /** PyTorch's step at this length, or null (and a recorded problem) when it cannot run. */
    private JsonNode torch(int seq, PrintStream progress) {
        progress.printf("PyTorch step (%s), seq %d ...%n", TORCH_SCRIPT, seq);
        List<String> args = new ArrayList<>(List.of("--seq", Integer.toString(seq), "--steps", Integer.toString(settings.steps()),
                "--warmup", Integer.toString(settings.warmupSteps()), "--threads", Integer.toString(settings.threads())));
        if (settings.torchLayers() > 0) args.addAll(List.of("--layers", Integer.toString(settings.torchLayers())));
        ScriptRun run = ScriptRun.run(settings.python(), TORCH_SCRIPT, args, Map.of(), null, 3600);
        if (!run.ok()) {
            torchProblems.add("seq " + seq + ": " + run.problem);
            return null;
        }
        return run.json;
    }

    /** Linux resets VmHWM to the current RSS when "5" is written to clear_refs: each setup gets its own peak. */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException ignored) {
            // not Linux, or not allowed: the peak then covers the whole run so far
        }
    }

    public String table() {
        TextTable t = new TextTable("setup", "seq", "s/step", "tokens/s", "MFU", "peak RSS", "torch s/step", "torch tokens/s",
                "torch peak RSS", "speedup").numeric(1, 2, 3, 4, 5, 6, 7, 8, 9);
        for (Row r : rows) {
            t.add(r.setup(), Integer.toString(r.seq()), String.format("%.2f", r.secondsPerStep()), String.format("%.1f", r.tokensPerSecond()),
                    String.format("%.0f%%", 100 * r.mfu()), gib(r.peakRssBytes()),
                    r.torchSecondsPerStep() == null ? "-" : String.format("%.2f", r.torchSecondsPerStep()),
                    r.torchTokensPerSecond() == null ? "-" : String.format("%.1f", r.torchTokensPerSecond()),
                    r.torchPeakRssBytes() == null ? "-" : gib(r.torchPeakRssBytes()),
                    r.speedup() == null ? "-" : String.format("%.2fx", r.speedup()));
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Training steps, batch 1, %d thread%s, median of %d steps after %d warm-up; MFU against the GEMM peak of this run, %.1f GFLOP/s%n",
                settings.threads(), settings.threads() == 1 ? "" : "s", settings.steps(), settings.warmupSteps(), peakGflops));
        sb.append(t.render());
        for (String p : torchProblems) sb.append("PyTorch column left out: ").append(p).append('\n');
        return sb.toString();
    }

    private static String gib(long bytes) {
        return bytes < 0 ? "-" : String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    public ObjectNode json(ObjectNode gemm) {
        ObjectNode root = ResultsFile.JSON.createObjectNode();
        root.put("benchmark", "step");
        root.put("timestamp", OffsetDateTime.now().toString());
        ObjectNode machine = root.putObject("machine");
        Machine.describe().forEach(machine::put);
        ObjectNode s = root.putObject("settings");
        s.put("threads", settings.threads()).put("steps", settings.steps()).put("warmup_steps", settings.warmupSteps());
        ArrayNode seqs = s.putArray("seqs");
        for (int q : settings.seqs()) seqs.add(q);
        root.put("gemm_peak_gflops", peakGflops);
        if (!torchProblems.isEmpty()) root.put("torch_problem", String.join("; ", torchProblems));
        ArrayNode results = root.putArray("results");
        for (Row r : rows) {
            ObjectNode o = results.addObject();
            o.put("setup", r.setup()).put("seq", r.seq()).put("seconds_per_step", r.secondsPerStep())
                    .put("tokens_per_s", r.tokensPerSecond()).put("mfu", r.mfu()).put("peak_rss_bytes", r.peakRssBytes())
                    .put("loss", r.loss());
            if (r.torchSecondsPerStep() != null) {
                o.put("torch_seconds_per_step", r.torchSecondsPerStep()).put("torch_tokens_per_s", r.torchTokensPerSecond())
                        .put("torch_peak_rss_bytes", r.torchPeakRssBytes()).put("speedup_vs_torch", r.speedup());
            }
        }
        if (gemm != null) root.set("gemm", gemm);
        return root;
    }
}
