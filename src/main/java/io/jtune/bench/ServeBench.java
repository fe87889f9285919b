package io.jtune.bench;

import io.jtune.infer.BatchedGeneration;
import io.jtune.infer.ContinuousBatcher;
import io.jtune.infer.GenerationSettings;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.model.RandomWeights;
import io.jtune.model.arch.ModelConfig;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Serving throughput with continuous batching: S concurrent streams, each sending requests one
 * after another (a prompt of random tokens, a fixed number of greedy tokens, no stop ids), through
 * the engine the API uses ({@link ContinuousBatcher}). Reported per stream count: total generated
 * tokens per second over the wall time (all streams together; also with the prompt tokens counted,
 * as vLLM's total token throughput), and the time to first token and inter-token latency
 * percentiles seen by the streams. Prefill is part of the work measured, as in serving. Random weights in bf16: decode reads every weight per step, so
 * their size and dtype matter, not their values.
 */
public final class ServeBench {
    /** One stream count's figures. */
    /**
     * @param tokens generated tokens of all streams
     * @param tokensPerSecond generated tokens per second, all streams together
     * @param promptAndGeneratedPerSecond prompt and generated tokens per second (vLLM's "total token throughput")
     */
    public record Row(int streams, int requests, long tokens, double seconds, double tokensPerSecond, double promptAndGeneratedPerSecond,
                      double ttftP50, double ttftP95, double itlP50, double itlP95, long steps) {}

    private ServeBench() {}

    /** A tiny model of the same family, for checking the benchmark itself in seconds. */
    public static ModelConfig tiny() {
        return ModelConfig.builder().modelType("qwen2").vocabSize(512).hiddenSize(64).intermediateSize(128)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).headDim(16).maxPositionEmbeddings(4096)
                .rmsNormEps(1e-6).rope(RopeConfig.plain(10000)).tieWordEmbeddings(true).attentionBias(true)
                .hiddenAct("silu").eosTokenIds(List.of(1)).dtype(DType.BF16).build();
    }

    /**
     * Measures each stream count in turn on one model (loaded once, warmed up once).
     *
     * @param requestsPerStream requests each stream sends one after another
     */
    public static List<Row> measure(ModelConfig config, int[] streamCounts, int promptTokens, int newTokens, int requestsPerStream)
            throws Exception {
        CausalLM model = InferenceModels.arrangedForDecoding(InferenceModels.frozen(config, new RandomWeights(config, 1, DType.BF16, 0.02)));
        int maxStreams = Arrays.stream(streamCounts).max().orElse(1);
        List<Row> rows = new ArrayList<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, maxStreams, 128)) {
            run(batcher, config, 1, promptTokens, Math.min(newTokens, 8), 1, 99); // warm-up: JIT, buffers, page-in
            for (int streams : streamCounts) {
                rows.add(run(batcher, config, streams, promptTokens, newTokens, requestsPerStream, streams));
            }
        }
        return rows;
    }

    private static Row run(ContinuousBatcher batcher, ModelConfig config, int streams, int promptTokens, int newTokens,
                           int requestsPerStream, long seed) throws Exception {
        GenerationSettings settings = GenerationSettings.greedy(newTokens);
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        long steps0 = batcher.steps();
        long start = System.nanoTime();
        List<Future<List<double[]>>> futures = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            SplittableRandom rnd = new SplittableRandom(seed * 1000 + s);
            futures.add(pool.submit(() -> {
                List<double[]> timings = new ArrayList<>(); // per request: ttft, then inter-token gaps
                for (int r = 0; r < requestsPerStream; r++) {
                    int[] prompt = rnd.ints(promptTokens, 2, config.vocabSize()).toArray();
                    long sent = System.nanoTime();
                    BatchedGeneration g = batcher.submit(prompt, null, settings, Set.of());
                    List<Double> t = new ArrayList<>();
                    long last = sent;
                    while (g.next() >= 0) {
                        long now = System.nanoTime();
                        t.add((now - last) / 1e9);
                        last = now;
                    }
                    timings.add(t.stream().mapToDouble(Double::doubleValue).toArray());
                }
                return timings;
            }));
        }
        List<Double> ttft = new ArrayList<>(), itl = new ArrayList<>();
        long tokens = 0;
        for (Future<List<double[]>> f : futures) {
            for (double[] t : f.get()) {
                tokens += t.length;
                if (t.length > 0) ttft.add(t[0]);
                for (int i = 1; i < t.length; i++) itl.add(t[i]);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long promptTotal = (long) promptTokens * streams * requestsPerStream;
        return new Row(streams, streams * requestsPerStream, tokens, seconds, tokens / seconds, (promptTotal + tokens) / seconds,
                percentile(ttft, 50), percentile(ttft, 95), percentile(itl, 50), percentile(itl, 95), batcher.steps() - steps0);
    }

    /** The nearest-rank percentile. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(p / 100 * v.length);
        return v[Math.max(0, rank - 1)];
    }

    /** The table jtune bench serve prints, with each row's speed-up over one stream. */
    public static String table(List<Row> rows) {
        TextTable t = new TextTable("streams", "requests", "generated", "seconds", "total tok/s", "vs 1 stream", "prompt+gen tok/s",
                "TTFT p50 ms", "TTFT p95 ms", "ITL p50 ms", "ITL p95 ms", "steps").numeric(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        double one = rows.stream().filter(r -> r.streams() == 1).mapToDouble(Row::tokensPerSecond).findFirst().orElse(Double.NaN);
        for (Row r : rows) {
            t.add(Integer.toString(r.streams()), Integer.toString(r.requests()), Long.toString(r.tokens()), String.format("%.2f", r.seconds()),
                    String.format("%.1f", r.tokensPerSecond()), Double.isNaN(one) ? "-" : String.format("%.2fx", r.tokensPerSecond() / one),
                    String.format("%.1f", r.promptAndGeneratedPerSecond()), ms(r.ttftP50()), ms(r.ttftP95()), ms(r.itlP50()), ms(r.itlP95()), Long.toString(r.steps()));
        }
        return t.render();
    }

    private static String ms(double seconds) {
        return String.format("%.1f", seconds * 1000);
    }
}
