package io.jtune.cli;

import io.jtune.bench.GemmBench;
import io.jtune.bench.GemmCase;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jtune bench}: speed figures (GEMM now, training steps when a model is wired). */
@Command(name = "bench", description = "Benchmarks: GEMM throughput (and OpenBLAS side by side), training steps.",
        subcommands = {BenchCommand.Gemm.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "gemm", description = "GEMM GFLOP/s on Qwen2.5-0.5B layer shapes, fp32 and bf16 weights.")
    static final class Gemm implements Runnable {
        @Option(names = "--threads", split = ",", description = "Thread counts to measure (default: 1 and all cores).")
        int[] threads;
        @Option(names = "--runs", defaultValue = "7", description = "Timed runs per case; the median is reported (default: ${DEFAULT-VALUE}).")
        int runs;
        @Option(names = "--warmup", defaultValue = "0.5", description = "Seconds of untimed warm-up per case (default: ${DEFAULT-VALUE}).")
        double warmup;
        @Option(names = "--tokens", defaultValue = "512", description = "Rows of the activations (default: ${DEFAULT-VALUE}).")
        int tokens;
        @Option(names = "--only", description = "Only cases whose 'layer product dtype' text matches this regex.")
        String only;

        @Override
        public void run() {
            int[] counts = threads != null ? threads : defaultThreads();
            List<GemmCase> cases = GemmBench.transformerCases(tokens);
            if (only != null) {
                Pattern p = Pattern.compile(only);
                cases = cases.stream().filter(c -> p.matcher(c.layer() + " " + c.product().shortName + " " + c.weightType()).find()).toList();
            }
            new GemmBench(runs, warmup).run(cases, counts, r -> System.out.printf("%-12s %-4s %-5s %-14s %d thr  %8.1f GFLOP/s  %8.3f ms%n",
                    r.gemmCase().layer(), r.gemmCase().product().shortName, r.gemmCase().weightType(), r.gemmCase().shape(),
                    r.threads(), r.gflops(), r.seconds() * 1e3));
        }
    }

    static int[] defaultThreads() {
        int n = Runtime.getRuntime().availableProcessors();
        return n == 1 ? new int[] {1} : new int[] {1, n};
    }
}
