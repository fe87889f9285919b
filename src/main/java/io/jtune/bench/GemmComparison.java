package io.jtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.tensor.DType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * jtune's GEMM next to OpenBLAS (numpy, through benchmarks/openblas_gemm.py) on the same shapes,
 * thread counts and clock, in the same run: the table `jtune bench gemm` prints and the JSON it writes.
 * Without python/numpy/OpenBLAS the OpenBLAS column is left out and the reason is printed.
 */
public final class GemmComparison {
    public static final String SCRIPT = "openblas_gemm.py";
    /** LoRA's thin factors are there to show they are not slow; the summary ratio is over the layer GEMMs. */
    private static final double SUMMARY_MIN_FLOPS = 1e8;

    public record Settings(int runs, double warmupSeconds, Clock clock, int tokens, int[] threads,
                           boolean openBlas, String python) {}

    /** One product: jtune's figure and, where OpenBLAS ran, its figure on the fp32 product of the same shape. */
    public record Row(GemmBench.Result jtune, Double openBlasGflops) {
        public Double ratio() {
            return openBlasGflops == null ? null : jtune.gflops() / openBlasGflops;
        }
    }

    private final Settings settings;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> openBlasProblems = new ArrayList<>();
    private String openBlasLibrary;

    public GemmComparison(Settings settings) {
        this.settings = settings;
    }

    public List<Row> rows() {
        return rows;
    }

    public GemmComparison run(List<GemmCase> cases, PrintStream progress) {
        progress.printf("jtune GEMM: %d products x %d thread counts ...%n", cases.size(), settings.threads().length);
        List<GemmBench.Result> jtune = new GemmBench(settings.runs(), settings.warmupSeconds(), settings.clock())
                .run(cases, settings.threads(), r -> {});
        Map<String, Double> openBlas = settings.openBlas() ? openBlas(cases, progress) : Map.of();
        if (!settings.openBlas()) openBlasProblems.add("not run (--no-openblas)");
        for (GemmBench.Result r : jtune) rows.add(new Row(r, openBlas.get(r.threads() + "/" + r.gemmCase().key())));
        return this;
    }

    /** GFLOP/s keyed by "threads/product:shape"; fills {@link #openBlasProblems} when a run fails. */
    private Map<String, Double> openBlas(List<GemmCase> cases, PrintStream progress) {
        ArrayNode input = ResultsFile.JSON.createArrayNode();
        Map<String, Boolean> seen = new HashMap<>();
        for (GemmCase c : cases) {
            if (seen.putIfAbsent(c.key(), true) != null) continue;
            input.addObject().put("key", c.key()).put("product", c.product().shortName)
                    .put("tokens", c.tokens()).put("in", c.in()).put("out", c.out());
        }
        Map<String, Double> out = new HashMap<>();
        for (int threads : settings.threads()) {
            progress.printf("OpenBLAS GEMM (numpy), %d thread%s ...%n", threads, threads == 1 ? "" : "s");
            ScriptRun run = ScriptRun.run(settings.python(), SCRIPT,
                    List.of("--runs", Integer.toString(settings.runs()), "--warmup", Double.toString(settings.warmupSeconds()),
                            "--clock", settings.clock().optionName()),
                    Map.of("OPENBLAS_NUM_THREADS", Integer.toString(threads), "OMP_NUM_THREADS", Integer.toString(threads)),
                    input.toString(), 1800);
            if (!run.ok()) {
                openBlasProblems.add(run.problem);
                break;
            }
            openBlasLibrary = run.json.path("library").asText();
            run.json.path("results").properties().forEach(e -> out.put(threads + "/" + e.getKey(), e.getValue().path("gflops").asDouble()));
        }
        return out;
    }

    /** Geometric mean of jtune/OpenBLAS over the layer-sized fp32 products, per thread count. */
    public Map<Integer, Double> summaryRatios() {
        Map<Integer, double[]> acc = new LinkedHashMap<>();
        for (Row r : rows) {
            GemmCase c = r.jtune().gemmCase();
            if (r.ratio() == null || c.weightType() != DType.F32 || c.flops() < SUMMARY_MIN_FLOPS) continue;
            double[] a = acc.computeIfAbsent(r.jtune().threads(), t -> new double[2]);
            a[0] += Math.log(r.ratio());
            a[1]++;
        }
        Map<Integer, Double> out = new LinkedHashMap<>();
        acc.forEach((t, a) -> out.put(t, Math.exp(a[0] / a[1])));
        return out;
    }

    /** The best jtune GFLOP/s with {@code threads} threads: the peak an MFU figure divides by. */
    public double peakGflops(int threads) {
        return rows.stream().filter(r -> r.jtune().threads() == threads).mapToDouble(r -> r.jtune().gflops()).max().orElse(Double.NaN);
    }

    public String table() {
        TextTable t = new TextTable("layer", "product", "shape T x in x out", "weights", "threads",
                "jtune GFLOP/s", "OpenBLAS GFLOP/s", "jtune/OpenBLAS").numeric(4, 5, 6, 7);
        for (Row r : rows) {
            GemmCase c = r.jtune().gemmCase();
            t.add(c.layer(), c.product().formula, c.shape(), c.weightType().torchName(), Integer.toString(r.jtune().threads()),
                    String.format("%.1f", r.jtune().gflops()),
                    r.openBlasGflops() == null ? "-" : String.format("%.1f", r.openBlasGflops()),
                    r.ratio() == null ? "-" : String.format("%.2f", r.ratio()));
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("GEMM, %s clock, median of %d runs after %.1f s warm-up; %s%n", settings.clock().optionName(),
                settings.runs(), settings.warmupSeconds(), machineLine()));
        sb.append(t.render());
        if (openBlasLibrary != null) {
            sb.append("OpenBLAS: ").append(openBlasLibrary).append(" via numpy; it has no bf16 GEMM, so bf16 rows compare with its fp32 product.\n");
        }
        for (String p : openBlasProblems) sb.append("OpenBLAS column left out: ").append(p).append('\n');
        Map<Integer, Double> summary = summaryRatios();
        if (!summary.isEmpty()) {
            sb.append("jtune/OpenBLAS, geometric mean over the layer products with fp32 weights:");
            summary.forEach((threads, ratio) -> sb.append(String.format(" %d thread%s %.2f;", threads, threads == 1 ? "" : "s", ratio)));
            sb.setLength(sb.length() - 1);
            sb.append(" (target >= 0.90)\n");
        }
        return sb.toString();
    }

    private static String machineLine() {
        Map<String, String> m = Machine.describe();
        return m.get("cpu") + ", " + m.get("cores") + " cores, " + m.get("vector_bits") + "-bit vectors, Java " + m.get("java");
    }

    public ObjectNode json() {
        ObjectNode root = ResultsFile.root("gemm");
        ObjectNode s = root.putObject("settings");
        s.put("runs", settings.runs()).put("warmup_s", settings.warmupSeconds()).put("clock", settings.clock().optionName())
                .put("tokens", settings.tokens());
        ArrayNode threads = s.putArray("threads");
        for (int t : settings.threads()) threads.add(t);
        ObjectNode ob = root.putObject("openblas");
        ob.put("available", openBlasLibrary != null && openBlasProblems.isEmpty());
        if (openBlasLibrary != null) ob.put("library", openBlasLibrary);
        if (!openBlasProblems.isEmpty()) ob.put("problem", String.join("; ", openBlasProblems));
        ArrayNode results = root.putArray("results");
        for (Row r : rows) {
            GemmCase c = r.jtune().gemmCase();
            ObjectNode o = results.addObject();
            o.put("layer", c.layer()).put("product", c.product().shortName).put("formula", c.product().formula)
                    .put("shape", c.shape()).put("tokens", c.tokens()).put("in", c.in()).put("out", c.out())
                    .put("weight_dtype", c.weightType().torchName()).put("threads", r.jtune().threads())
                    .put("flops", c.flops()).put("jtune_seconds", r.jtune().seconds()).put("jtune_gflops", r.jtune().gflops());
            putOrNull(o, "openblas_gflops", r.openBlasGflops());
            putOrNull(o, "ratio", r.ratio());
        }
        ObjectNode summary = root.putObject("summary_ratio_fp32");
        summaryRatios().forEach((t, ratio) -> summary.put(Integer.toString(t), ratio));
        return root;
    }

    private static void putOrNull(ObjectNode o, String key, Double value) {
        if (value == null) o.putNull(key);
        else o.put(key, value);
    }

    /** For tests and the step bench: a node's number or null. */
    static Double number(JsonNode n) {
        return n == null || n.isNull() ? null : n.asDouble();
    }
}
