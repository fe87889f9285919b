package io.jtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * `jtune bench dpo`: a DPO training step next to the SFT step on the same 2n sequences
 * ({@link PreferenceStepSetup}), each timed in a JVM of its own ({@link StepWorker}) so that each peak
 * RSS is that step's alone; reports both and their ratios, DPO over SFT, against the targets
 * (step time at most 1.4x, peak RSS at most 1.2x).
 */
public final class PreferenceStepBench {
    public static final double TIME_TARGET = 1.4;
    public static final double RSS_TARGET = 1.2;

    public record Settings(String model, FrozenWeights weights, boolean gradientCheckpointing, int pairs, int seq, int steps,
                           int warmupSteps, int threads) {}

    /** One step's figures. */
    public record Row(String setup, String kind, double secondsPerStep, double tokensPerSecond, long peakRssBytes, double loss,
                      double flopsPerStep) {}

    /** Runs one request and returns the worker's JSON, or a problem; tests replace the process. */
    interface Runner {
        ScriptRun run(StepWorker.Request request);
    }

    private final Settings settings;
    private final Runner runner;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    public PreferenceStepBench(Settings settings) {
        this(settings, request -> ScriptRun.runCommand(StepWorker.command(request), "the jtune step process",
                "the JVM running this benchmark could not start another", Map.of(), null, 7200));
    }

    PreferenceStepBench(Settings settings, Runner runner) {
        this.settings = settings;
        this.runner = runner;
    }

    public List<Row> rows() {
        return rows;
    }

    /** Times the SFT step, then the DPO step, each in its own process. */
    public PreferenceStepBench run(PrintStream progress) {
        for (String kind : List.of("sft", "dpo")) {
            progress.printf("jtune %s step: %s, %d pairs of %d tokens ...%n", kind, settings.model(), settings.pairs(), settings.seq());
            var request = new StepWorker.Request(settings.model(), settings.weights(), settings.gradientCheckpointing(), settings.seq(),
                    settings.steps(), settings.warmupSteps(), settings.threads(), settings.pairs(), kind);
            ScriptRun run = runner.run(request);
            if (!run.ok()) {
                problems.add(kind + ": " + run.problem);
                continue;
            }
            JsonNode j = run.json;
            rows.add(new Row(j.path("setup").asText(), kind, j.path("seconds_per_step").asDouble(), j.path("tokens_per_s").asDouble(),
                    j.path("peak_rss_bytes").asLong(), j.path("loss").asDouble(), j.path("flops_per_step").asDouble()));
        }
        return this;
    }

    private Row row(String kind) {
        return rows.stream().filter(r -> r.kind().equals(kind)).findFirst().orElse(null);
    }

    /** DPO's step time over SFT's; null unless both ran. */
    public Double timeRatio() {
        Row sft = row("sft"), dpo = row("dpo");
        return sft == null || dpo == null ? null : dpo.secondsPerStep() / sft.secondsPerStep();
    }

    /** DPO's peak RSS over SFT's; null unless both ran. */
    public Double rssRatio() {
        Row sft = row("sft"), dpo = row("dpo");
        return sft == null || dpo == null ? null : (double) dpo.peakRssBytes() / sft.peakRssBytes();
    }

    public String table() {
        TextTable t = new TextTable("step", "sequences", "s/step", "tokens/s", "peak RSS", "loss").numeric(1, 2, 3, 4, 5);
        for (Row r : rows) {
            t.add(r.setup(), 2 * settings.pairs() + " x " + settings.seq(), String.format("%.2f", r.secondsPerStep()),
                    String.format("%.1f", r.tokensPerSecond()), String.format("%.2f GiB", r.peakRssBytes() / (1024.0 * 1024 * 1024)),
                    String.format("%.4f", r.loss()));
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("DPO next to SFT on the same %d sequences of %d tokens (%d pairs), LoRA r%d, %s, %d thread%s,"
                        + " median of %d steps after %d warm-up; each step in its own JVM%n", 2 * settings.pairs(), settings.seq(),
                settings.pairs(), LoraStepSetup.RANK, settings.gradientCheckpointing() ? "gradient checkpointing" : "no checkpointing",
                settings.threads(), settings.threads() == 1 ? "" : "s", settings.steps(), settings.warmupSteps()));
        sb.append(t.render());
        if (timeRatio() != null) {
            sb.append(String.format("DPO / SFT: step time %.2fx (target <= %.1fx), peak RSS %.2fx (target <= %.1fx)%n",
                    timeRatio(), TIME_TARGET, rssRatio(), RSS_TARGET));
        }
        for (String p : problems) sb.append("step left out: ").append(p).append('\n');
        return sb.toString();
    }

    public ObjectNode json() {
        ObjectNode root = ResultsFile.root("dpo");
        root.putObject("settings").put("model", settings.model()).put("weights", settings.weights().label())
                .put("gradient_checkpointing", settings.gradientCheckpointing()).put("pairs", settings.pairs()).put("seq", settings.seq())
                .put("steps", settings.steps()).put("warmup_steps", settings.warmupSteps()).put("threads", settings.threads());
        ArrayNode results = root.putArray("results");
        for (Row r : rows) {
            results.addObject().put("kind", r.kind()).put("setup", r.setup()).put("seconds_per_step", r.secondsPerStep())
                    .put("tokens_per_s", r.tokensPerSecond()).put("peak_rss_bytes", r.peakRssBytes()).put("loss", r.loss())
                    .put("flops_per_step", r.flopsPerStep());
        }
        if (timeRatio() != null) {
            root.put("dpo_over_sft_step_time", timeRatio()).put("dpo_over_sft_peak_rss", rssRatio())
                    .put("step_time_target", TIME_TARGET).put("peak_rss_target", RSS_TARGET);
        }
        if (!problems.isEmpty()) root.put("problem", String.join("; ", problems));
        return root;
    }
}
