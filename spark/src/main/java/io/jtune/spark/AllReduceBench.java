package io.jtune.spark;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The all-reduce benchmark (docs/distributed.md): the socket ring's sum of a LoRA-sized and a
 * full-model-sized gradient between the barrier tasks of whatever master spark-submit names, next to
 * Spark's own {@code BarrierTaskContext.allGather} (through the driver) for the LoRA-sized one, and
 * the projected scaling efficiency of a data-parallel LoRA step.
 *
 * <pre>
 * spark-submit --master 'local-cluster[2,1,4096]' --conf spark.executor.memory=3g \
 *   --class io.jtune.spark.AllReduceBench jtune-spark.jar [--workers 2] [--sizes 4399104,494032768] [--repeats 5]
 * </pre>
 */
public final class AllReduceBench {
    /** Qwen2.5-0.5B with LoRA r8 on all linear modules (q,k,v,o,gate,up,down of 24 layers): trainable floats. */
    static final long QWEN05_LORA_R8 = 4_399_104L;
    /** Qwen2.5-0.5B's parameters: full fine-tuning's gradient. */
    static final long QWEN05_FULL = 494_032_768L;

    private AllReduceBench() {}

    public static void main(String[] args) {
        int workers = 2, repeats = 5;
        long[] sizes = {QWEN05_LORA_R8, QWEN05_FULL};
        double stepSeconds = 5.15, gbitPerSecond = 10;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--workers" -> workers = Integer.parseInt(args[i + 1]);
                case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
                case "--sizes" -> sizes = Arrays.stream(args[i + 1].split(",")).mapToLong(Long::parseLong).toArray();
                case "--step-seconds" -> stepSeconds = Double.parseDouble(args[i + 1]);
                case "--gbit" -> gbitPerSecond = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --workers N --sizes F,F --repeats N --step-seconds S --gbit G");
            }
        }
        SparkConf conf = new SparkConf().setAppName("jtune all-reduce bench");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            long[] floats = sizes;
            int reps = repeats, n = workers;
            List<String> rows = BarrierStage.run(sc, workers, ctx -> measure(ctx, floats, reps));
            System.out.printf(Locale.ROOT, "all-reduce over the socket ring, %d workers, master %s (median of %d)%n", n, sc.master(), reps);
            System.out.println("| payload | floats | MB | ring s | ring MB/s (payload / time) | Spark allGather s |");
            System.out.println("|---|---|---|---|---|---|");
            for (String line : rows.get(0).split(";")) System.out.println(line);
            System.out.println();
            System.out.println(projection(QWEN05_LORA_R8 * 4.0, stepSeconds, gbitPerSecond * 1e9 / 8));
        }
    }

    /** One task's measurements; rank 0's line is the table's rows. */
    private static String measure(BarrierTaskContext ctx, long[] sizes, int repeats) throws java.io.IOException {
        int rank = ctx.partitionId();
        String host = ctx.getTaskInfos()[rank].address().replaceFirst(":[0-9]+$", "");
        try (ServerSocket server = new ServerSocket(0)) {
            List<String> addresses = List.of(ctx.allGather(host + ":" + server.getLocalPort()));
            try (SocketRing ring = SocketRing.join(rank, server, addresses, "bench-" + ctx.stageAttemptNumber(), 600_000)) {
                List<String> rows = new ArrayList<>();
                for (long size : sizes) {
                    float[] values = new float[Math.toIntExact(size)];
                    Arrays.fill(values, 1f / (rank + 1));
                    ring.allReduceSum(values); // warm-up
                    double[] ring_s = new double[repeats];
                    for (int r = 0; r < repeats; r++) {
                        ctx.barrier();
                        long t0 = System.nanoTime();
                        ring.allReduceSum(values);
                        ring_s[r] = (System.nanoTime() - t0) / 1e9;
                    }
                    String gather = "-";
                    if (size == QWEN05_LORA_R8 || size <= 8_000_000) gather = String.format(Locale.ROOT, "%.3f", sparkAllGather(ctx, values, repeats));
                    double t = median(ring_s), mb = size * 4 / 1e6;
                    rows.add(String.format(Locale.ROOT, "| %s | %d | %.1f | %.3f | %.0f | %s |",
                            size == QWEN05_LORA_R8 ? "Qwen2.5-0.5B LoRA r8 (all linear)" : size == QWEN05_FULL ? "Qwen2.5-0.5B full" : "custom",
                            size, mb, t, mb / t, gather));
                }
                return String.join(";", rows);
            }
        }
    }

    /** The same payload through Spark's allGather (Base64 text via the driver's RPC), for comparison. */
    private static double sparkAllGather(BarrierTaskContext ctx, float[] values, int repeats) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4);
        bytes.asFloatBuffer().put(values);
        String text = Base64.getEncoder().encodeToString(bytes.array());
        double[] s = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            ctx.barrier();
            long t0 = System.nanoTime();
            String[] all = ctx.allGather(text);
            float[] sum = new float[values.length];
            for (String part : all) {
                java.nio.FloatBuffer f = ByteBuffer.wrap(Base64.getDecoder().decode(part)).asFloatBuffer();
                for (int i = 0; i < sum.length; i++) sum[i] += f.get(i);
            }
            s[r] = (System.nanoTime() - t0) / 1e9;
        }
        return median(s);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /**
     * Weak scaling of a LoRA step: each worker keeps its micro-batches, so a step's compute stays T_c and
     * the all-reduce adds T_ar(N) = 2 S / B + 2 (N - 2) c / B (the reduce pass and the broadcast pass
     * each move the S gradient bytes over one link at bandwidth B, plus the N - 2 chunks of c bytes that
     * fill the chain's pipeline); efficiency E(N) = T_c / (T_c + T_ar(N)).
     */
    static String projection(double gradientBytes, double stepSeconds, double bytesPerSecond) {
        double chunk = SocketRing.CHUNK_FLOATS * 4.0;
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "projected scaling efficiency, Qwen2.5-0.5B LoRA r8 step: S = %.1f MB of gradients, T_c = %.2f s/step, B = %.2f GB/s%n"
                        + "E(N) = T_c / (T_c + 2 S / B + 2 (N - 2) c / B), c = %.0f bytes a chunk%n",
                gradientBytes / 1e6, stepSeconds, bytesPerSecond / 1e9, chunk));
        for (int n : new int[] {2, 4, 8}) {
            double allReduce = 2 * gradientBytes / bytesPerSecond + 2 * (n - 2) * chunk / bytesPerSecond;
            out.append(String.format(Locale.ROOT, "N = %d: T_ar = %.1f ms, E = %.2f%%, speed-up %.2fx%n",
                    n, allReduce * 1e3, 100 * stepSeconds / (stepSeconds + allReduce), n * stepSeconds / (stepSeconds + allReduce)));
        }
        return out.toString();
    }
}
