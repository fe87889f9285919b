package io.jtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Times whole training steps, jtune's next to PyTorch eager's (benchmarks/torch_lora_step.py) at the
 * same sequence lengths, thread count and gradient-checkpointing setting: seconds/step, tokens/s, MFU
 * (model FLOPs per second over the best GEMM GFLOP/s measured in the same run) and peak RSS. Each
 * row runs in a process of its own on both sides ({@link StepWorker} for jtune), so each peak RSS
 * belongs to that row alone.
 */
public final class StepBench {
    public static final String TORCH_SCRIPT = "torch_lora_step.py";

    public record Settings(int[] seqs, int steps, int warmupSteps, int threads, boolean torch, String python, int torchLayers) {}

    /** A model setup to time: an architecture LoraStepSetup knows, the frozen weights' storage, checkpointing on or off. */
    public record Setup(String model, FrozenWeights weights, boolean gradientCheckpointing) {
        String name() {
            return new LoraStepSetup(model, weights, gradientCheckpointing).name();
        }
    }

    /** One setup at one sequence length; torch figures null where the script did not run. */
    public record Row(String setup, boolean gradientCheckpointing, int seq, double secondsPerStep, double tokensPerSecond,
                      double mfu, long peakRssBytes, double loss,
                      Double torchSecondsPerStep, Double torchTokensPerSecond, Long torchPeakRssBytes) {
        public Double speedup() {
            return torchSecondsPerStep == null ? null : torchSecondsPerStep / secondsPerStep;
        }
    }

    private final Settings settings;
    private final double peakGflops;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> torchProblems = new ArrayList<>();
    private final List<String> jtuneProblems = new ArrayList<>();
    private final Map<String, java.util.Optional<JsonNode>> torchRuns = new java.util.HashMap<>();
    private final List<Setup> rowSetups = new ArrayList<>();   // the setup of each row

    /** {@code peakGflops}: the GEMM peak of this run, with {@code settings.threads()} threads. */
    public StepBench(Settings settings, double peakGflops) {
        this.settings = settings;
        this.peakGflops = peakGflops;
    }

    public List<Row> rows() {
        return rows;
    }

    public StepBench run(List<Setup> setups, PrintStream progress) {
        for (int seq : settings.seqs()) {
            for (boolean checkpointing : checkpointingSettings(setups)) {
                for (Setup setup : setups) {
                    if (setup.gradientCheckpointing() != checkpointing) continue;
                    // PyTorch's step has fp32 frozen weights whatever jtune's storage: run once per model and length
                    String key = setup.model() + "/" + seq + "/" + checkpointing;
                    JsonNode torch = !settings.torch() ? null
                            : torchRuns.computeIfAbsent(key, k -> java.util.Optional.ofNullable(torch(setup.model(), seq, checkpointing, progress)))
                                    .orElse(null);
                    Row row = measure(setup, seq, torch, progress);
                    if (row != null) {
                        rows.add(row);
                        rowSetups.add(setup);
                    }
                }
            }
        }
        if (!settings.torch()) torchProblems.add("not run (--no-torch)");
        return this;
    }

    /** The checkpointing settings the setups use, off first. */
    private static List<Boolean> checkpointingSettings(List<Setup> setups) {
        List<Boolean> used = new ArrayList<>();
        for (boolean b : new boolean[] {false, true}) {
            if (setups.stream().anyMatch(s -> s.gradientCheckpointing() == b)) used.add(b);
        }
        return used;
    }

    /** One row, timed by a {@link StepWorker} process; null (and a recorded problem) when it fails. */
    private Row measure(Setup setup, int seq, JsonNode torch, PrintStream progress) {
        progress.printf("jtune step: %s, %s, seq %d ...%n", setup.name(), checkpointingLabel(setup.gradientCheckpointing()), seq);
        var request = new StepWorker.Request(setup.model(), setup.weights(), setup.gradientCheckpointing(), seq,
                settings.steps(), settings.warmupSteps(), settings.threads());
        ScriptRun run = ScriptRun.runCommand(StepWorker.command(request), "the jtune step process",
                "the JVM running this benchmark could not start another", Map.of(), null, 7200);
        if (!run.ok()) {
            jtuneProblems.add(setup.name() + ", seq " + seq + ": " + run.problem);
            return null;
        }
        JsonNode j = run.json;
        double seconds = j.path("seconds_per_step").asDouble();
        double mfu = j.path("flops_per_step").asDouble() / seconds / 1e9 / peakGflops;
        return new Row(setup.name(), setup.gradientCheckpointing(), seq, seconds, j.path("tokens_per_s").asDouble(), mfu,
                j.path("peak_rss_bytes").asLong(), j.path("loss").asDouble(),
                torch == null ? null : torch.path("seconds_per_step").asDouble(),
                torch == null ? null : torch.path("tokens_per_s").asDouble(),
                torch == null ? null : torch.path("peak_rss_bytes").asLong());
    }

    private static String checkpointingLabel(boolean on) {
        return on ? "gradient checkpointing" : "no checkpointing";
    }

    /** PyTorch's step for this model, length and setting, or null (and a recorded problem) when it cannot run. */
    private JsonNode torch(String model, int seq, boolean checkpointing, PrintStream progress) {
        progress.printf("PyTorch step (%s), %s, %s, seq %d ...%n", TORCH_SCRIPT, model, checkpointingLabel(checkpointing), seq);
        List<String> args = new ArrayList<>(List.of("--model", model, "--seq", Integer.toString(seq), "--steps", Integer.toString(settings.steps()),
                "--warmup", Integer.toString(settings.warmupSteps()), "--threads", Integer.toString(settings.threads())));
        if (settings.torchLayers() > 0) args.addAll(List.of("--layers", Integer.toString(settings.torchLayers())));
        if (checkpointing) args.add("--gradient-checkpointing");
        ScriptRun run = ScriptRun.run(settings.python(), TORCH_SCRIPT, args, Map.of(), null, 3600);
        if (!run.ok()) {
            torchProblems.add(model + ", " + checkpointingLabel(checkpointing) + ", seq " + seq + ": " + run.problem);
            return null;
        }
        return run.json;
    }

    public String table() {
        TextTable t = new TextTable("setup", "grad ckpt", "seq", "s/step", "tokens/s", "MFU", "peak RSS", "torch s/step",
                "torch tokens/s", "torch peak RSS", "speedup").numeric(2, 3, 4, 5, 6, 7, 8, 9, 10);
        for (Row r : rows) {
            t.add(r.setup(), r.gradientCheckpointing() ? "on" : "off", Integer.toString(r.seq()), String.format("%.2f", r.secondsPerStep()), String.format("%.1f", r.tokensPerSecond()),
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
        for (String line : quantizedRatios()) sb.append(line).append('\n');
        for (String p : jtuneProblems) sb.append("jtune row left out: ").append(p).append('\n');
        for (String p : torchProblems) sb.append("PyTorch column left out: ").append(p).append('\n');
        return sb.toString();
    }

    /** Each quantized row's step time over the unquantized row of the same model, length and checkpointing. */
    private List<String> quantizedRatios() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Setup q = rowSetups.get(i);
            if (!q.weights().quantized()) continue;
            for (int j = 0; j < rows.size(); j++) {
                Setup b = rowSetups.get(j);
                if (b.weights().quantized() || !b.model().equals(q.model()) || rows.get(j).seq() != rows.get(i).seq()
                        || b.gradientCheckpointing() != q.gradientCheckpointing()) continue;
                lines.add(String.format("%s step time / %s: %.2fx (%s, seq %d, gradient checkpointing %s)", q.weights().label(),
                        b.weights().label(), rows.get(i).secondsPerStep() / rows.get(j).secondsPerStep(), q.model(),
                        rows.get(i).seq(), q.gradientCheckpointing() ? "on" : "off"));
                break;
            }
        }
        return lines;
    }

    private static String gib(long bytes) {
        return bytes < 0 ? "-" : String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    public ObjectNode json(ObjectNode gemm) {
        ObjectNode root = ResultsFile.root("step");
        ObjectNode s = root.putObject("settings");
        s.put("threads", settings.threads()).put("steps", settings.steps()).put("warmup_steps", settings.warmupSteps());
        ArrayNode seqs = s.putArray("seqs");
        for (int q : settings.seqs()) seqs.add(q);
        root.put("gemm_peak_gflops", peakGflops);
        if (!torchProblems.isEmpty()) root.put("torch_problem", String.join("; ", torchProblems));
        if (!jtuneProblems.isEmpty()) root.put("jtune_problem", String.join("; ", jtuneProblems));
        ArrayNode results = root.putArray("results");
        for (Row r : rows) {
            ObjectNode o = results.addObject();
            o.put("setup", r.setup()).put("gradient_checkpointing", r.gradientCheckpointing()).put("seq", r.seq()).put("seconds_per_step", r.secondsPerStep())
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
