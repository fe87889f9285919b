package io.jtune.bench;

import io.jtune.model.BatchDecoder;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Bf16Panels;
import io.jtune.tensor.DType;
import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where a batched decode step goes: for R sequences decoded together (each prefilled with a
 * prompt first), the median time of one {@link BatchDecoder#step} that appends a token to each,
 * next to the median time of the step's matrix products alone (every linear layer's and the LM
 * head's, R token rows against random bf16 weights of the same shapes in decoding panels, as
 * served models hold them, read from memory as in a step). The difference is the rest of the step: attention over the caches, norms, RoPE, the
 * hand-off between layers. It is what serving with R streams costs per generated token row.
 *
 * <p>Two more figures split the products' time itself. The same products from the caches: each
 * shape's rows taken in slabs small enough to stay in the caches between passes (the multiplications
 * alone, no weight read from memory). And the weights' read time: their bytes at the read bandwidth
 * {@link ReadBandwidth} measures (the reading alone). Products that overlapped the two perfectly
 * would take the larger of them; the sum is what no overlap at all costs.
 */
public final class DecodeStepBench {
    private DecodeStepBench() {}

    /** Medians and ranges, in milliseconds, for one row count. */
    public record Row(int rows, double stepMs, double stepMinMs, double stepMaxMs, double productsMs, double productsMinMs,
                      double productsMaxMs, double cachedProductsMs, double weightsReadMs) {
        /** Token rows a second at this row count: rows / step time. */
        public double tokensPerSecond() {
            return rows * 1000 / stepMs;
        }
    }

    /** Each row count in turn on one model: {@code prompt} tokens prefilled per sequence, then {@code steps} timed steps. */
    public static List<Row> measure(ModelConfig config, int[] rowCounts, int prompt, int steps) {
        CausalLM model = InferenceModels.arrangedForDecoding(InferenceModels.frozen(config, FrozenWeights.parse("bf16").randomWeights(config, 1)));
        BatchDecoder decoder = new BatchDecoder(model);
        SplittableRandom random = new SplittableRandom(2);
        List<Row> rows = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            List<Matrix> products = stepWeights(config, arena, random);
            List<Matrix> cached = cachedSlabs(products, arena, random);
            long weightBytes = 0;
            for (Matrix w : products) weightBytes += 2L * w.rows() * w.cols();
            double weightsReadMs = weightBytes / ReadBandwidth.measure(weightBytes, 3) * 1e3;
            for (int r : rowCounts) {
                double[] step = stepTimes(decoder, config, r, prompt, steps, random);
                double[] gemm = productTimes(products, r, steps, random);
                double[] fromCache = productTimes(cached, r, steps, random);
                rows.add(new Row(r, Measure.median(step), min(step), max(step), Measure.median(gemm), min(gemm), max(gemm),
                        Measure.median(fromCache), weightsReadMs));
            }
        }
        return rows;
    }

    /** Milliseconds of {@code steps} decode steps of r sequences, after prefill and two untimed steps. */
    private static double[] stepTimes(BatchDecoder decoder, ModelConfig config, int r, int prompt, int steps, SplittableRandom random) {
        List<BatchDecoder.Sequence> sequences = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            BatchDecoder.Sequence s = decoder.newSequence(null);
            decoder.step(List.of(new BatchDecoder.Segment(s, random.ints(prompt, 0, config.vocabSize()).toArray(), true)));
            sequences.add(s);
        }
        double[] ms = new double[steps];
        for (int t = -2; t < steps; t++) {
            List<BatchDecoder.Segment> segments = new ArrayList<>();
            for (BatchDecoder.Sequence s : sequences) {
                segments.add(new BatchDecoder.Segment(s, new int[] {random.nextInt(config.vocabSize())}, true));
            }
            long t0 = System.nanoTime();
            decoder.step(segments);
            if (t >= 0) ms[t] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /** Milliseconds of one step's products (all of them, in layer order) with r token rows, {@code steps} times after one untimed pass. */
    private static double[] productTimes(List<Matrix> weights, int r, int steps, SplittableRandom random) {
        int widest = 0, tallest = 0;
        for (Matrix w : weights) {
            widest = Math.max(widest, w.cols());
            tallest = Math.max(tallest, w.rows());
        }
        float[] x = new float[r * widest], y = new float[r * tallest];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextDouble(-1, 1);
        double[] ms = new double[steps];
        for (int t = -1; t < steps; t++) {
            long t0 = System.nanoTime();
            for (Matrix w : weights) Gemm.matmulTransB(x, 0, w, y, 0, r, false);
            if (t >= 0) ms[t] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /**
     * Random bf16 weights shaped as one step reads them: per layer q, k, v, o, gate, up, down (a
     * llama-style block), then the LM head.
     */
    private static List<Matrix> stepWeights(ModelConfig c, Arena arena, SplittableRandom random) {
        int h = c.hiddenSize(), f = c.intermediateSize();
        int[][] shapes = {{c.qDim(), h}, {c.kvDim(), h}, {c.kvDim(), h}, {h, c.qDim()}, {f, h}, {f, h}, {h, f}};
        List<Matrix> weights = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            for (int[] s : shapes) weights.add(randomBf16(arena, s[0], s[1], random));
        }
        weights.add(randomBf16(arena, c.vocabSize(), h, random));
        return weights;
    }

    /** Bytes of bf16 weights in one slab: with two kernel threads, half of it per core, within a 2 MiB L2 beside the token rows. */
    private static final long SLAB_BYTES = 1L << 20;

    /**
     * The same products as {@code weights}, each matrix's rows covered by passes over a slab of its
     * width small enough to stay in the caches: {@code n / slab} times the slab, then a smaller slab
     * for the rest. Slabs are made once per shape; a pass multiplies as many rows of each width as a
     * step does.
     */
    private static List<Matrix> cachedSlabs(List<Matrix> weights, Arena arena, SplittableRandom random) {
        Map<List<Integer>, Matrix> slabs = new HashMap<>();
        List<Matrix> out = new ArrayList<>();
        for (Matrix w : weights) {
            int k = w.cols();
            int slabRows = (int) Math.max(64, SLAB_BYTES / (2L * k) / 64 * 64);   // whole panel groups: no padding multiplied
            int full = w.rows() / slabRows, rest = w.rows() % slabRows;
            for (int i = 0; i < full; i++) out.add(slabs.computeIfAbsent(List.of(slabRows, k), s -> randomBf16(arena, s.get(0), s.get(1), random)));
            if (rest > 0) out.add(slabs.computeIfAbsent(List.of(rest, k), s -> randomBf16(arena, s.get(0), s.get(1), random)));
        }
        return out;
    }

    private static Matrix randomBf16(Arena arena, int rows, int cols, SplittableRandom random) {
        long n = (long) rows * cols;
        MemorySegment bits = arena.allocate(2 * n, 64);
        for (long i = 0; i < n; i++) {
            float v = (float) random.nextDouble(-0.05, 0.05);
            bits.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return Bf16Panels.of(Matrix.of(bits, DType.BF16, rows, cols));   // as a served model holds them
    }

    /**
     * The table: rows, step and products (median, min-max), the products from the caches and the
     * weights' read time, the rest of the step, token rows a second.
     */
    public static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-5s %-24s %-24s %-14s %-16s %-9s %s%n", "rows", "step ms (min-max)", "products ms (min-max)",
                "from cache ms", "weights read ms", "rest ms", "token rows/s"));
        for (Row r : rows) {
            out.append(String.format("%-5d %-24s %-24s %-14.1f %-16.1f %-9.1f %.1f%n", r.rows(),
                    String.format("%.1f (%.1f-%.1f)", r.stepMs(), r.stepMinMs(), r.stepMaxMs()),
                    String.format("%.1f (%.1f-%.1f)", r.productsMs(), r.productsMinMs(), r.productsMaxMs()),
                    r.cachedProductsMs(), r.weightsReadMs(), r.stepMs() - r.productsMs(), r.tokensPerSecond()));
        }
        return out.toString();
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
