package io.jtune.cli;

import io.jtune.JtuneException;
import io.jtune.bench.Clock;
import io.jtune.bench.GemmBench;
import io.jtune.bench.GemmCase;
import io.jtune.bench.GemmComparison;
import io.jtune.bench.PythonScripts;
import io.jtune.bench.ResultsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jtune bench}: speed figures, printed as a table and written as JSON, side by side with OpenBLAS / PyTorch. */
@Command(name = "bench", description = "Benchmarks: GEMM throughput next to OpenBLAS; training steps next to PyTorch.",
        subcommands = {BenchCommand.Gemm.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every bench section shares. */
    static final class Common {
        @Option(names = "--threads", split = ",", paramLabel = "N[,N...]",
                description = "Thread counts to measure (default: 1 and all cores).")
        int[] threads;
        @Option(names = "--runs", defaultValue = "7", description = "Timed runs per case; the median is reported (default: ${DEFAULT-VALUE}).")
        int runs;
        @Option(names = "--warmup", defaultValue = "0.5", description = "Seconds of untimed warm-up per case (default: ${DEFAULT-VALUE}).")
        double warmup;
        @Option(names = "--clock", defaultValue = "wall", description = "wall, or cpu (process CPU time / threads: for a machine shared with other work) (default: ${DEFAULT-VALUE}).")
        String clock;
        @Option(names = "--json", paramLabel = "PATH", description = "Where to write the results (default: bench-results/<section>-<timestamp>.json).")
        Path json;
        @Option(names = "--python", defaultValue = PythonScripts.DEFAULT_PYTHON,
                description = "Python with numpy/torch for the comparison column (default: ${DEFAULT-VALUE}).")
        String python;

        int[] threadCounts() {
            if (threads == null) {
                int n = Runtime.getRuntime().availableProcessors();
                return n == 1 ? new int[] {1} : new int[] {1, n};
            }
            for (int t : threads) if (t < 1) throw new JtuneException("--threads: thread counts must be >= 1, got " + t);
            return threads;
        }

        Clock parsedClock() {
            return switch (clock) {
                case "wall" -> Clock.WALL;
                case "cpu" -> Clock.CPU;
                default -> throw new JtuneException("--clock: '" + clock + "' is not one of: wall, cpu");
            };
        }

        void check() {
            if (runs < 1) throw new JtuneException("--runs must be >= 1, got " + runs);
            if (warmup < 0) throw new JtuneException("--warmup must be >= 0, got " + warmup);
        }
    }

    @Command(name = "gemm", description = "GEMM GFLOP/s on Qwen2.5-0.5B layer shapes (forward, dX, dW; fp32 and bf16 weights), next to OpenBLAS.")
    static final class Gemm implements Runnable {
        @Mixin Common common;
        @Option(names = "--tokens", defaultValue = "512", description = "Rows of the activations (default: ${DEFAULT-VALUE}).")
        int tokens;
        @Option(names = "--only", paramLabel = "REGEX", description = "Only the cases whose 'layer product dtype' matches, e.g. 'mlp.* fwd'.")
        String only;
        @Option(names = "--no-openblas", description = "Leave out the OpenBLAS column.")
        boolean noOpenBlas;

        @Override
        public void run() {
            common.check();
            if (tokens < 1) throw new JtuneException("--tokens must be >= 1, got " + tokens);
            List<GemmCase> cases = GemmBench.transformerCases(tokens);
            if (only != null) {
                Pattern p;
                try {
                    p = Pattern.compile(only);
                } catch (PatternSyntaxException e) {
                    throw new JtuneException("--only: not a regular expression: " + e.getDescription());
                }
                cases = cases.stream().filter(c -> p.matcher(c.layer() + " " + c.product().shortName + " " + c.weightType()).find()).toList();
                if (cases.isEmpty()) throw new JtuneException("--only '" + only + "' matches no case; cases look like 'mlp.gate/up fwd BF16'");
            }
            var settings = new GemmComparison.Settings(common.runs, common.warmup, common.parsedClock(), tokens,
                    common.threadCounts(), !noOpenBlas, common.python);
            GemmComparison result = new GemmComparison(settings).run(cases, System.err);
            System.out.print(result.table());
            Path path = ResultsFile.write(common.json != null ? common.json : ResultsFile.defaultPath("gemm"), result.json());
            System.out.println("Results written to " + path);
        }
    }
}
