package io.jtune.bench;

import io.jtune.tensor.DType;
import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import io.jtune.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Times jtune's {@link Gemm} on transformer shapes, for each thread count asked for. */
public final class GemmBench {
    /** One timed product. */
    public record Result(GemmCase gemmCase, int threads, double seconds) {
        public double gflops() {
            return gemmCase.flops() / seconds / 1e9;
        }
    }

    private final int runs;
    private final double warmupSeconds;
    private final Clock clock;

    public GemmBench(int runs, double warmupSeconds, Clock clock) {
        this.runs = runs;
        this.warmupSeconds = warmupSeconds;
        this.clock = clock;
    }

    /**
     * The linear layers of a Qwen2.5-0.5B block at 512 tokens (q/o: 896 -> 896, gate/up: 896 -> 4864,
     * down: 4864 -> 896): forward and input gradient with fp32 and bf16 weights, the weight gradient
     * (fp32: only trainable weights have one), and the rank-8 LoRA factors of the MLP.
     */
    public static List<GemmCase> transformerCases(int tokens) {
        List<GemmCase> cases = new ArrayList<>();
        String[][] layers = {{"attn.q/o", "896", "896"}, {"mlp.gate/up", "896", "4864"}, {"mlp.down", "4864", "896"}};
        for (String[] l : layers) {
            int in = Integer.parseInt(l[1]), out = Integer.parseInt(l[2]);
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                cases.add(new GemmCase(l[0], GemmCase.Product.FORWARD, tokens, in, out, dtype));
                cases.add(new GemmCase(l[0], GemmCase.Product.INPUT_GRAD, tokens, in, out, dtype));
            }
            cases.add(new GemmCase(l[0], GemmCase.Product.WEIGHT_GRAD, tokens, in, out, DType.F32));
        }
        // LoRA rank 8 on gate/up: x·Aᵀ (896 -> 8), h·Bᵀ (8 -> 4864), and their gradients.
        cases.add(new GemmCase("lora.A", GemmCase.Product.FORWARD, tokens, 896, 8, DType.F32));
        cases.add(new GemmCase("lora.B", GemmCase.Product.FORWARD, tokens, 8, 4864, DType.F32));
        cases.add(new GemmCase("lora.B", GemmCase.Product.INPUT_GRAD, tokens, 8, 4864, DType.F32));
        cases.add(new GemmCase("lora.B", GemmCase.Product.WEIGHT_GRAD, tokens, 8, 4864, DType.F32));
        cases.add(new GemmCase("lora.A", GemmCase.Product.WEIGHT_GRAD, tokens, 896, 8, DType.F32));
        return cases;
    }

    public List<Result> run(List<GemmCase> cases, int[] threadCounts, java.util.function.Consumer<Result> progress) {
        int saved = Parallel.threads();
        List<Result> results = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            List<Runnable> products = new ArrayList<>();
            for (GemmCase gc : cases) products.add(prepare(gc, arena));
            // Every kernel path compiled by C2 before the first timing, not only the first case's.
            for (int round = 0; round < 3; round++) products.forEach(Runnable::run);
            for (int i = 0; i < cases.size(); i++) {
                GemmCase gc = cases.get(i);
                Runnable product = products.get(i);
                for (int threads : threadCounts) {
                    Parallel.setThreads(threads);
                    Result r = new Result(gc, threads, Measure.medianSeconds(product, 3, warmupSeconds, runs, clock, threads));
                    results.add(r);
                    progress.accept(r);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
        return results;
    }

    /** Allocates the operands of one case and returns the product to time. */
    static Runnable prepare(GemmCase gc, Arena arena) {
        SplittableRandom rnd = new SplittableRandom(42);
        int t = gc.tokens(), in = gc.in(), out = gc.out();
        return switch (gc.product()) {
            case FORWARD -> {
                float[] x = random(t * in, rnd), y = new float[t * out];
                Matrix w = weight(gc.weightType(), out, in, rnd, arena);
                yield () -> Gemm.matmulTransB(x, 0, w, y, 0, t, false);
            }
            case INPUT_GRAD -> {
                float[] dy = random(t * out, rnd), dx = new float[t * in];
                Matrix w = weight(gc.weightType(), out, in, rnd, arena);
                yield () -> Gemm.matmul(dy, 0, w, dx, 0, t, false);
            }
            case WEIGHT_GRAD -> {
                float[] dy = random(t * out, rnd), x = random(t * in, rnd), dw = new float[out * in];
                yield () -> Gemm.matmulTransA(dy, 0, x, 0, dw, 0, t, out, in, false);
            }
        };
    }

    private static float[] random(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() - 0.5);
        return v;
    }

    /** A weight as a frozen checkpoint tensor would be: fp32 on the heap, or bf16 off the heap. */
    private static Matrix weight(DType dtype, int rows, int cols, SplittableRandom rnd, Arena arena) {
        float[] v = random(rows * cols, rnd);
        if (dtype == DType.F32) return Matrix.of(v, rows, cols);
        MemorySegment seg = arena.allocate(2L * v.length, 64);
        var layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) seg.set(layout, 2L * i, Numbers.floatToBf16(v[i]));
        return Matrix.of(seg, DType.BF16, rows, cols);
    }
}
