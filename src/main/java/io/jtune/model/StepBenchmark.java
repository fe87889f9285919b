package io.jtune.model;

import io.jtune.tensor.DType;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One training step on a random-weight model, timed: the entry point a benchmark command wires in.
 * Builds the model from a {@link ModelConfig} alone (bf16 frozen weights, as a mapped checkpoint),
 * runs warm-up steps, then times forward+backward+AdamW.
 */
public final class StepBenchmark {
    /**
     * Wall seconds per step and the derived throughput (model FLOPs: matmul weights used per token,
     * ×4 with frozen base weights, ×6 when they train, plus attention), the process CPU seconds per
     * step (meaningful on a shared machine) and the peak resident set size.
     */
    public record Result(String model, int seqLen, double secondsPerStep, double tokensPerSecond, double modelGflops,
                         double cpuSecondsPerStep, long peakRssBytes) {
        public String row() {
            return String.format(Locale.ROOT, "%-8s seq %5d  %8.3f s/step  %8.1f tok/s  %7.1f GFLOP/s  %8.2f cpu-s/step  peak RSS %6.0f MB",
                    model, seqLen, secondsPerStep, tokensPerSecond, modelGflops, cpuSecondsPerStep, peakRssBytes / 1e6);
        }
    }

    /** Peak resident set size (VmHWM) of this process, or -1 where /proc is not available. */
    static long peakRss() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private StepBenchmark() {}

    /** The Qwen2.5-0.5B architecture (config.json values). */
    public static ModelConfig qwen25_05b() {
        return new ModelConfig("qwen2", 151936, 896, 4864, 24, 14, 2, 64, 32768, 1e-6,
                ModelConfig.RopeConfig.plain(1000000), true, true, false, false, false, null, "silu",
                null, List.of(151643), null, DType.BF16);
    }

    /** The Llama-3.2-1B architecture (config.json values). */
    public static ModelConfig llama32_1b() {
        return new ModelConfig("llama", 128256, 2048, 8192, 16, 32, 8, 64, 131072, 1e-5,
                new ModelConfig.RopeConfig(500000, "llama3", 32, 1, 4, 8192), true, false, false, false, false, null,
                "silu", 128000, List.of(128001), null, DType.BF16);
    }

    /** A batch of random tokens, every position a label (the heaviest case for the loss head). */
    public static Batch randomBatch(int vocab, int batch, int seqLen, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] ids = new int[batch][seqLen];
        for (int[] row : ids) for (int t = 0; t < seqLen; t++) row[t] = rnd.nextInt(vocab);
        return Batch.of(ids, ids);
    }

    /** Forward + backward FLOPs of one step: 2·N per token forward for each matmul weight used, ×2 backward. */
    static double stepFlops(ModelConfig c, int tokens, int seqLen, boolean frozenBase) {
        long perLayer = (long) c.hiddenSize() * (c.qDim() + 2L * c.kvDim()) + (long) c.qDim() * c.hiddenSize()
                + 3L * c.hiddenSize() * c.intermediateSize();
        double matmul = (double) perLayer * c.numHiddenLayers() + (double) c.vocabSize() * c.hiddenSize();
        // Forward 2 flops per weight per token; backward 2 for dX, plus 2 for dW when weights train.
        double perToken = matmul * (frozenBase ? 4 : 6);
        double attention = 4.0 * c.numHiddenLayers() * c.qDim() * (seqLen / 2.0) * 3;  // scores+values, fwd+bwd(≈2x)
        return tokens * (perToken + attention);
    }

    public static Result run(String label, ModelConfig config, FinetuneSpec spec, int seqLen, boolean checkpointing,
                             int warmup, int steps) {
        CausalLM model = ModelBuilder.build(config, new RandomWeights(config, 1, DType.BF16), spec,
                new CausalLM.Options(checkpointing, 1));
        AdamW opt = AdamW.withDefaults(model.parameterValues(), model.gradients(),
                ParamGroup.hfDefault(model.trainableParameters(), 0.0));
        Batch batch = randomBatch(config.vocabSize(), 1, seqLen, 3);
        for (int i = 0; i < warmup; i++) step(model, opt, batch);
        long start = System.nanoTime(), cpuStart = processCpuNanos();
        for (int i = 0; i < steps; i++) step(model, opt, batch);
        double seconds = (System.nanoTime() - start) / 1e9 / steps;
        double cpu = (processCpuNanos() - cpuStart) / 1e9 / steps;
        double flops = stepFlops(config, seqLen, seqLen, spec.type() == FinetuneSpec.Type.LORA);
        return new Result(label, seqLen, seconds, seqLen / seconds, flops / seconds / 1e9, cpu, peakRss());
    }

    /** One optimizer step on one batch: zero, forward+backward (mean loss), clip at 1, AdamW. */
    public static StepLoss step(CausalLM model, AdamW opt, Batch batch) {
        model.zeroGrad();
        int labels = Math.max(1, batch.tokens() - batch.batchSize());
        StepLoss loss = model.forwardBackward(batch, 1f / labels);
        model.clipGradientNorm(1.0);
        opt.step(1e-4);
        return loss;
    }

    /** Usage: StepBenchmark [qwen|llama] [seq] [steps] [checkpointing]. */
    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "qwen";
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        boolean ckpt = args.length > 3 && Boolean.parseBoolean(args[3]);
        ModelConfig c = which.equals("llama") ? llama32_1b() : qwen25_05b();
        System.out.println(run(which, c, FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), seq, ckpt, 1, steps).row());
    }
}
