package io.jtune.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.model.arch.ModelConfig;
import io.jtune.nn.ParallelTasks;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jtune bench decode}: jtune's prefill and decode tokens/s for each weight storage, each next
 * to its memory-read roofline and, when a llama.cpp build is given, next to llama.cpp on the same
 * generated model in the matching GGUF type (bf16 against F16, q8_0 and int8 against Q8_0, the
 * 4-bit formats against Q4_0), in the same run and with the same threads.
 */
public final class DecodeComparison {
    /** One weight storage: jtune's figures, its roofline, llama.cpp's figures (null without a build). */
    public record Row(DecodeBench.Figures jtune, DecodeRoofline roofline, LlamaCppBench.Result llamaCpp) {}

    private final ModelConfig config;
    private final int promptTokens, decodeTokens, runs;

    public DecodeComparison(ModelConfig config, int promptTokens, int decodeTokens, int runs) {
        this.config = config;
        this.promptTokens = promptTokens;
        this.decodeTokens = decodeTokens;
        this.runs = runs;
    }

    /** Measures each storage in turn; llama.cpp's type for each is measured once. {@code llamaCpp} may be null. */
    public List<Row> run(List<FrozenWeights> weights, LlamaCppBench llamaCpp, PrintStream log) {
        Map<LlamaCppBench.Type, LlamaCppBench.Result> llama = new EnumMap<>(LlamaCppBench.Type.class);
        List<Row> rows = new ArrayList<>();
        for (FrozenWeights w : weights) {
            // the previous row's model lives off the heap, freed only once a collection finds it unreachable
            System.gc();
            long bytes = DecodeRoofline.bytesPerToken(config, w, promptTokens + decodeTokens / 2);
            DecodeRoofline roofline = new DecodeRoofline(bytes, ReadBandwidth.measure(bytes, 5));
            DecodeBench.Figures f = DecodeBench.measure(config, promptTokens, decodeTokens, runs, w);
            log.println(f + "; roofline " + roofline);
            LlamaCppBench.Result l = null;
            if (llamaCpp != null) {
                LlamaCppBench.Type type = LlamaCppBench.Type.matching(w);
                l = llama.computeIfAbsent(type, t -> llamaCpp.measure(t,
                        LlamaCppBench.source(config, FrozenWeights.parse("bf16").generatedWeights(config, 1)),
                        promptTokens, decodeTokens, ParallelTasks.threads(), runs));
                log.println("llama.cpp " + type.fileName + ": " + (l.ok()
                        ? String.format("prefill %.1f tok/s, decode %.2f tok/s", l.prefillTokensPerSecond(), l.decodeTokensPerSecond())
                        : l.problem()));
            }
            rows.add(new Row(f, roofline, l));
        }
        return rows;
    }

    /** The table: one line per storage; llama.cpp's columns and the ratios when it was measured. */
    public static String table(List<Row> rows) {
        boolean llama = rows.stream().anyMatch(r -> r.llamaCpp() != null);
        List<String> header = new ArrayList<>(List.of("weights", "prefill tok/s", "decode tok/s", "MB/token", "read GB/s",
                "roofline tok/s", "of roofline"));
        if (llama) header.addAll(List.of("llama.cpp", "prefill tok/s", "decode tok/s", "MB/token", "prefill ratio", "decode ratio"));
        TextTable t = new TextTable(header.toArray(String[]::new)).numeric(1, 2, 3, 4, 5, 6);
        if (llama) t.numeric(8, 9, 10, 11, 12);
        for (Row r : rows) {
            DecodeBench.Figures f = r.jtune();
            List<String> cells = new ArrayList<>(List.of(f.weights(), fmt(f.prefillTokensPerSecond(), 1), fmt(f.decodeTokensPerSecond(), 2),
                    fmt(r.roofline().bytesPerToken() / 1e6, 1), fmt(r.roofline().readBytesPerSecond() / 1e9, 1),
                    fmt(r.roofline().tokensPerSecond(), 1), fmt(100 * f.decodeTokensPerSecond() / r.roofline().tokensPerSecond(), 0) + "%"));
            if (llama) {
                LlamaCppBench.Result l = r.llamaCpp();
                if (l == null || !l.ok()) {
                    cells.addAll(List.of(l == null ? "-" : l.type().fileName + " (failed)", "-", "-", "-", "-", "-"));
                } else {
                    cells.addAll(List.of(l.type().fileName, fmt(l.prefillTokensPerSecond(), 1), fmt(l.decodeTokensPerSecond(), 2),
                            l.modelBytes() > 0 ? fmt(l.modelBytes() / 1e6, 1) : "-",
                            fmt(f.prefillTokensPerSecond() / l.prefillTokensPerSecond(), 2) + "x",
                            fmt(f.decodeTokensPerSecond() / l.decodeTokensPerSecond(), 2) + "x"));
                }
            }
            t.add(cells.toArray(String[]::new));
        }
        return t.render();
    }

    /** The results file: machine, settings, and per storage jtune's runs, the roofline and llama.cpp's figures. */
    public ObjectNode json(List<Row> rows) {
        ObjectNode root = ResultsFile.root("decode");
        root.put("model", config.modelType() + " " + config.hiddenSize() + "x" + config.numHiddenLayers());
        var results = root.putArray("results");
        for (Row row : rows) {
            DecodeBench.Figures f = row.jtune();
            var r = results.addObject();
            r.put("model", f.model());
            r.put("weights", f.weights());
            r.put("threads", f.threads());
            r.put("prompt_tokens", f.promptTokens());
            r.put("decode_tokens", f.decodeTokens());
            r.put("prefill_tokens_per_second", f.prefillTokensPerSecond());
            r.put("decode_tokens_per_second", f.decodeTokensPerSecond());
            r.put("decode_speedup_vs_first", f.decodeTokensPerSecond() / rows.get(0).jtune().decodeTokensPerSecond());
            var p = r.putArray("prefill_seconds");
            for (double v : f.prefillSeconds()) p.add(v);
            var d = r.putArray("decode_seconds");
            for (double v : f.decodeSeconds()) d.add(v);
            var roof = r.putObject("roofline");
            roof.put("bytes_per_token", row.roofline().bytesPerToken());
            roof.put("read_bytes_per_second", row.roofline().readBytesPerSecond());
            roof.put("decode_tokens_per_second", row.roofline().tokensPerSecond());
            LlamaCppBench.Result l = row.llamaCpp();
            if (l != null) {
                var lc = r.putObject("llama_cpp");
                lc.put("type", l.type().fileName);
                if (l.ok()) {
                    lc.put("prefill_tokens_per_second", l.prefillTokensPerSecond());
                    lc.put("decode_tokens_per_second", l.decodeTokensPerSecond());
                    lc.put("model_bytes", l.modelBytes());
                    lc.put("prefill_ratio", f.prefillTokensPerSecond() / l.prefillTokensPerSecond());
                    lc.put("decode_ratio", f.decodeTokensPerSecond() / l.decodeTokensPerSecond());
                } else {
                    lc.put("problem", l.problem());
                }
            }
        }
        return root;
    }

    private static String fmt(double v, int decimals) {
        return String.format("%." + decimals + "f", v);
    }
}
