package io.jtune.cli;

import io.jtune.JtuneException;
import io.jtune.bench.Clock;
import io.jtune.bench.DecodeBench;
import io.jtune.bench.DecodeComparison;
import io.jtune.bench.DecodeStepBench;
import io.jtune.bench.LlamaCppBench;
import io.jtune.bench.FrozenWeights;
import io.jtune.bench.GemmBench;
import io.jtune.bench.GemmCase;
import io.jtune.bench.GemmComparison;
import io.jtune.bench.LoraStepSetup;
import io.jtune.bench.PreferenceStepBench;
import io.jtune.bench.PythonScripts;
import io.jtune.bench.ResultsFile;
import io.jtune.bench.RolloutBench;
import io.jtune.bench.ServeBench;
import io.jtune.bench.StepBench;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.model.LoraAdapter;
import io.jtune.nn.ParallelTasks;
import io.jtune.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jtune bench}: speed figures, printed as a table and written as JSON, side by side with OpenBLAS / PyTorch. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: GEMM throughput next to OpenBLAS; training steps next to PyTorch; generation (prefill/decode) speed.",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Step.class, BenchCommand.Dpo.class, BenchCommand.Decode.class,
                BenchCommand.Serve.class, BenchCommand.Rollout.class, BenchCommand.DecodeStep.class})
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

    @Command(name = "gemm", mixinStandardHelpOptions = true, description = "GEMM GFLOP/s on Qwen2.5-0.5B layer shapes (forward, dX, dW; fp32 and bf16 weights), next to OpenBLAS.")
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

    @Command(name = "step", mixinStandardHelpOptions = true, description = "LoRA SFT training steps (rank 8, all linear layers, batch 1) on random-weight models: "
            + "tokens/s, MFU, peak RSS, next to the same step in PyTorch eager.")
    static final class Step implements Runnable {
        @Mixin Common common;
        @Option(names = "--seq", split = ",", defaultValue = "512,1024", paramLabel = "N[,N...]",
                description = "Sequence lengths (default: ${DEFAULT-VALUE}).")
        int[] seqs;
        @Option(names = "--steps", defaultValue = "3", description = "Timed steps; the median is reported (default: ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--warmup-steps", defaultValue = "1", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
        int warmupSteps;
        @Option(names = "--model", split = ",", defaultValue = "qwen2.5-0.5b", paramLabel = "ARCH[,ARCH...]",
                description = "Architectures: qwen2.5-0.5b, llama3.2-1b, gemma2-2b, phi3-mini, llama2-7b, gpt2, bloom-560m, qwen1.5-moe-a2.7b (default: ${DEFAULT-VALUE}).")
        List<String> models;
        @Option(names = "--weights", split = ",", defaultValue = "bf16", paramLabel = "W[,W...]",
                description = "Frozen weights, each timed as its own row: bf16, fp32, or quantized as quantization_bit does:"
                        + " nf4, fp4 (4-bit, double quantization), nf4-single (without), int8 (default: ${DEFAULT-VALUE}).")
        List<String> weights;
        @Mixin Quantization quantization;
        @Option(names = "--gradient-checkpointing", split = ",", defaultValue = "off,on", paramLabel = "off|on[,...]",
                description = "Time the step without and/or with gradient checkpointing (recomputing activations in backward, "
                        + "as LLaMA-Factory trains unless disable_gradient_checkpointing); PyTorch does the same "
                        + "(default: ${DEFAULT-VALUE}).")
        List<String> checkpointing;
        @Option(names = "--no-torch", description = "Leave out the PyTorch column.")
        boolean noTorch;

        @Override
        public void run() {
            common.check();
            for (String c : checkpointing) {
                if (!c.equals("on") && !c.equals("off")) {
                    throw new JtuneException("--gradient-checkpointing: '" + c + "' is not one of: off, on");
                }
            }
            if (steps < 1 || warmupSteps < 0) throw new JtuneException("--steps must be >= 1 and --warmup-steps >= 0");
            for (int s : seqs) if (s < 2) throw new JtuneException("--seq: lengths must be >= 2, got " + s);
            List<FrozenWeights> frozen = quantization.withQuantized(weights);
            int[] counts = common.threadCounts();
            int threads = counts[counts.length - 1];
            List<StepBench.Setup> setups = new ArrayList<>();
            for (String m : models) {
                LoraStepSetup.architecture(m);   // an unknown name fails here, before anything runs
                for (String c : checkpointing) {
                    for (FrozenWeights w : frozen) setups.add(new StepBench.Setup(m, w, c.equals("on")));
                }
            }
            // The GEMM peak the MFU divides by: the layer products at this thread count, measured now.
            var gemmSettings = new GemmComparison.Settings(common.runs, common.warmup, common.parsedClock(), 512,
                    new int[] {threads}, false, common.python);
            List<GemmCase> peakCases = GemmBench.transformerCases(512).stream()
                    .filter(c -> c.flops() > 1e9 && c.weightType() == DType.F32).toList();
            GemmComparison gemm = new GemmComparison(gemmSettings).run(peakCases, System.err);
            var settings = new StepBench.Settings(seqs, steps, warmupSteps, threads,
                    !noTorch, common.python, 0);
            StepBench bench = new StepBench(settings, gemm.peakGflops(threads)).run(setups, System.err);
            System.out.print(bench.table());
            Path path = ResultsFile.write(common.json != null ? common.json : ResultsFile.defaultPath("step"), bench.json(gemm.json()));
            System.out.println("Results written to " + path);
        }
    }

    /**
     * --quantization-bit and friends, as the config keys name them: they add a row with the base's
     * decoder linear weights quantized to the rows --weights asks for (e.g. bf16 next to QLoRA's nf4).
     */
    static final class Quantization {
        @Option(names = "--quantization-bit", paramLabel = "4|8",
                description = "Also time the frozen weights quantized as quantization_bit does (4: --quantization-type, 8: int8 per row).")
        Integer bits;
        @Option(names = "--quantization-type", defaultValue = "nf4", description = "4-bit type: nf4 or fp4 (default: ${DEFAULT-VALUE}).")
        String type;
        @Option(names = "--double-quantization", defaultValue = "true", arity = "1", paramLabel = "true|false",
                description = "Double-quantize the 4-bit absmax (default: ${DEFAULT-VALUE}).")
        boolean doubleQuant;

        /** The --weights rows, plus the --quantization-bit one when given and not already there. */
        List<FrozenWeights> withQuantized(List<String> weights) {
            List<FrozenWeights> out = new ArrayList<>();
            for (String w : weights) out.add(FrozenWeights.parse(w));
            if (bits != null) {
                FrozenWeights q = FrozenWeights.ofQuantizationBit(bits, type, doubleQuant);
                if (out.stream().noneMatch(f -> f.label().equals(q.label()))) out.add(q);
            }
            return out;
        }
    }

    @Command(name = "dpo", mixinStandardHelpOptions = true, description = "A DPO training step (LoRA r8, sigmoid loss against the base"
            + " with the adapter off) next to the SFT step on the same 2n sequences, each in its own JVM: step time and peak RSS, and their ratios.")
    static final class Dpo implements Runnable {
        @Option(names = "--pairs", defaultValue = "4", description = "Preference pairs in the batch: 2n sequences (default: ${DEFAULT-VALUE}).")
        int pairs;
        @Option(names = "--seq", defaultValue = "256", description = "Tokens of each chosen and each rejected sequence (default: ${DEFAULT-VALUE}).")
        int seq;
        @Option(names = "--steps", defaultValue = "3", description = "Timed steps; the median is reported (default: ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--warmup-steps", defaultValue = "1", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
        int warmupSteps;
        @Option(names = "--model", defaultValue = "qwen2.5-0.5b", paramLabel = "ARCH",
                description = "Architecture (random weights): qwen2.5-0.5b, llama3.2-1b, or tiny (default: ${DEFAULT-VALUE}).")
        String model;
        @Option(names = "--weights", defaultValue = "bf16",
                description = "Frozen weights: bf16, fp32, nf4, fp4, nf4-single, int8 (default: ${DEFAULT-VALUE}).")
        String weights;
        @Option(names = "--gradient-checkpointing", defaultValue = "off", paramLabel = "off|on",
                description = "Recompute activations in backward (default: ${DEFAULT-VALUE}).")
        String checkpointing;
        @Option(names = "--threads", paramLabel = "N", description = "Kernel threads (default: all cores).")
        Integer threads;
        @Option(names = "--json", paramLabel = "PATH", description = "Where to write the results (default: bench-results/dpo-<timestamp>.json).")
        Path json;

        @Override
        public void run() {
            if (pairs < 1) throw new JtuneException("--pairs must be >= 1, got " + pairs);
            if (seq < 2) throw new JtuneException("--seq must be >= 2, got " + seq);
            if (steps < 1 || warmupSteps < 0) throw new JtuneException("--steps must be >= 1 and --warmup-steps >= 0");
            if (!checkpointing.equals("on") && !checkpointing.equals("off")) {
                throw new JtuneException("--gradient-checkpointing: '" + checkpointing + "' is not one of: off, on");
            }
            FrozenWeights frozen = FrozenWeights.parse(weights);
            int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            if (n < 1) throw new JtuneException("--threads must be >= 1, got " + n);
            LoraStepSetup.architecture(model);   // an unknown name fails here, before anything runs
            var settings = new PreferenceStepBench.Settings(model, frozen, checkpointing.equals("on"), pairs, seq, steps, warmupSteps, n);
            PreferenceStepBench bench = new PreferenceStepBench(settings).run(System.err);
            System.out.print(bench.table());
            Path path = ResultsFile.write(json != null ? json : ResultsFile.defaultPath("dpo"), bench.json());
            System.out.println("Results written to " + path);
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true, description = {
            "Generation at batch 1 on Qwen2.5-0.5B (random weights, bf16 or quantized): prompt-processing (prefill) and decode tokens/s"
                    + " through the KV cache, each next to its memory-read roofline (bytes per token / measured read bandwidth).",
            "With --llama-cpp DIR, llama.cpp's llama-bench on the same model exported as GGUF (bf16: F16, q8_0 and int8: Q8_0,"
                    + " q4_0: the same all-Q4_0 file, nf4/fp4: Q4_0 by llama-quantize), same threads and lengths, and the ratios."})
    static final class Decode implements Runnable {
        @Option(names = "--weights", split = ",", defaultValue = "bf16,q8_0,q4_0", paramLabel = "W[,W...]",
                description = "Frozen weights, each measured in turn: bf16, fp32, q8_0 and q4_0 (GGUF Q8_0 / Q4_0, every matrix), nf4, fp4, nf4-single, int8 (default: ${DEFAULT-VALUE}).")
        List<String> weights;
        @Mixin Quantization quantization;
        @Option(names = "--prompt", defaultValue = "128", description = "Prompt tokens to prefill (default: ${DEFAULT-VALUE}).")
        int prompt;
        @Option(names = "--tokens", defaultValue = "32", description = "Tokens to decode after the prompt (default: ${DEFAULT-VALUE}).")
        int tokens;
        @Option(names = "--runs", defaultValue = "3", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
        int runs;
        @Mixin KernelThreads threads;
        @Option(names = "--llama-cpp", paramLabel = "DIR", description = "A llama.cpp build (its llama-bench in DIR, DIR/bin or DIR/build/bin) to compare with.")
        Path llamaCpp;
        @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the GGUF files for llama.cpp are written, and deleted after (default: the temporary directory).")
        Path workDir;
        @Mixin BenchShape shape;
        @Option(names = "--json", paramLabel = "PATH", description = "Where to write the results (default: bench-results/decode-<timestamp>.json).")
        Path json;

        @Override
        public void run() {
            if (prompt < 1 || tokens < 1 || runs < 1) throw new JtuneException("--prompt, --tokens and --runs must be >= 1");
            var config = shape.config();
            threads.apply();
            LlamaCppBench llama = llamaCpp == null ? null : LlamaCppBench.in(llamaCpp,
                    workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "jtune-bench-decode"));
            DecodeComparison comparison = new DecodeComparison(config, prompt, tokens, runs);
            List<DecodeComparison.Row> rows = comparison.run(quantization.withQuantized(weights), llama, System.out);
            System.out.print(DecodeComparison.table(rows));
            for (int i = 1; i < rows.size(); i++) {
                System.out.printf("decode %s / %s: %.2fx tokens/s%n", rows.get(i).jtune().weights(), rows.get(0).jtune().weights(),
                        rows.get(i).jtune().decodeTokensPerSecond() / rows.get(0).jtune().decodeTokensPerSecond());
            }
            if (llama == null) System.out.println("llama.cpp: not compared (give --llama-cpp DIR; docs/benchmarks.md says how to build it)");
            Path path = ResultsFile.write(json != null ? json : ResultsFile.defaultPath("decode"), comparison.json(rows));
            System.out.println("Results written to " + path);
        }
    }

    /** --shape of bench decode, serve and decode-step: Qwen2.5-0.5B's, or a 2-layer one that checks the benchmark in seconds. */
    static final class BenchShape {
        @Option(names = "--shape", defaultValue = "qwen2.5-0.5b", paramLabel = "<shape>", description = "qwen2.5-0.5b, or tiny (2 layers, hidden 64: checks the benchmark in seconds) (default: ${DEFAULT-VALUE}).")
        String name;

        io.jtune.model.arch.ModelConfig config() {
            return switch (name) {
                case "qwen2.5-0.5b" -> DecodeBench.qwen25HalfB();
                case "tiny" -> ServeBench.tiny();
                default -> throw new JtuneException("--shape: '" + name + "' is not one of: qwen2.5-0.5b, tiny");
            };
        }
    }

    /** --threads of the benchmarks that run at one kernel thread count (decode, rollout, decode-step). */
    static final class KernelThreads {
        @Option(names = "--threads", paramLabel = "N", description = "Kernel threads (default: all cores).")
        Integer count;

        /** Checks the count and sets it for the rest of the run; without --threads, all cores. */
        void apply() {
            if (count == null) return;
            if (count < 1) throw new JtuneException("--threads must be >= 1, got " + count);
            ParallelTasks.setThreads(count);
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = {
            "Serving with continuous batching (the engine of jtune api) on the Qwen2.5-0.5B shape with random bf16 weights.",
            "Prints total generated tokens/s with 1, 4, 8 and 16 concurrent streams, time to first token and inter-token latency p50/p95."})
    static final class Serve implements Runnable {
        @Option(names = "--streams", split = ",", defaultValue = "1,4,8,16", paramLabel = "N[,N...]",
                description = "Concurrent streams to measure (default: ${DEFAULT-VALUE}).")
        int[] streams;
        @Option(names = "--prompt", defaultValue = "128", description = "Prompt tokens per request (default: ${DEFAULT-VALUE}).")
        int prompt;
        @Option(names = "--tokens", defaultValue = "128", description = "Tokens generated per request (default: ${DEFAULT-VALUE}).")
        int tokens;
        @Option(names = "--requests", defaultValue = "2", description = "Requests each stream sends one after another (default: ${DEFAULT-VALUE}).")
        int requests;
        @Mixin BenchShape shape;
        @Option(names = "--json", paramLabel = "PATH", description = "Where to write the results (default: bench-results/serve-<timestamp>.json).")
        Path json;

        @Override
        public void run() {
            if (prompt < 1 || tokens < 1 || requests < 1) throw new JtuneException("--prompt, --tokens and --requests must be >= 1");
            for (int s : streams) if (s < 1) throw new JtuneException("--streams: stream counts must be >= 1, got " + s);
            var config = shape.config();
            List<ServeBench.Row> rows;
            try {
                rows = ServeBench.measure(config, streams, prompt, tokens, requests);
            } catch (Exception e) {
                throw new JtuneException("bench serve failed: " + e, e);
            }
            System.out.printf("jtune bench serve: %s (%s), prompt %d, %d new tokens, %d request(s) per stream, %d kernel threads%n",
                    shape.name, config.modelType() + " " + config.hiddenSize() + "x" + config.numHiddenLayers() + " bf16", prompt, tokens, requests,
                    io.jtune.nn.ParallelTasks.threads());
            System.out.print(ServeBench.table(rows));
            var root = ResultsFile.root("serve");
            root.put("shape", shape.name);
            root.put("prompt_tokens", prompt);
            root.put("new_tokens", tokens);
            root.put("requests_per_stream", requests);
            var out = root.putArray("rows");
            for (ServeBench.Row r : rows) {
                out.addObject().put("streams", r.streams()).put("requests", r.requests()).put("tokens", r.tokens()).put("seconds", r.seconds())
                        .put("tokens_per_second", r.tokensPerSecond()).put("prompt_and_generated_tokens_per_second", r.promptAndGeneratedPerSecond()).put("ttft_p50_s", r.ttftP50()).put("ttft_p95_s", r.ttftP95())
                        .put("itl_p50_s", r.itlP50()).put("itl_p95_s", r.itlP95()).put("steps", r.steps());
            }
            Path path = ResultsFile.write(json != null ? json : ResultsFile.defaultPath("serve"), root);
            System.out.println("Results written to " + path);
        }
    }

    @Command(name = "rollout", mixinStandardHelpOptions = true, description = {
            "Rollout generation of stage grpo on a model folder (and adapter): one round of P prompts x G completions decoded"
                    + " together, as the stage generates them, next to the same completions decoded one at a time (as jtune chat).",
            "Prints generated tokens/s of each and the speed-up. Random prompt tokens, temperature 1, a seed per completion, no stop tokens."})
    static final class Rollout implements Runnable {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model: a folder or hub id (e.g. saves/quickstart/base).")
        String model;
        @Option(names = "--adapter", paramLabel = "DIR", description = "A LoRA adapter over it that generates (e.g. saves/quickstart/lora-sft).")
        Path adapter;
        @Option(names = "--prompts", defaultValue = "2", description = "Prompts of the round (default: ${DEFAULT-VALUE}).")
        int prompts;
        @Option(names = "--generations", defaultValue = "8", description = "Completions per prompt, num_generations (default: ${DEFAULT-VALUE}).")
        int generations;
        @Option(names = "--prompt-tokens", defaultValue = "64", description = "Tokens of each prompt (default: ${DEFAULT-VALUE}).")
        int promptTokens;
        @Option(names = "--tokens", defaultValue = "48", description = "Tokens of each completion, max_completion_length (default: ${DEFAULT-VALUE}).")
        int tokens;
        @Option(names = "--runs", defaultValue = "3", description = "Timed runs of each mode; the median is reported (default: ${DEFAULT-VALUE}).")
        int runs;
        @Mixin KernelThreads threads;
        @Option(names = "--json", paramLabel = "PATH", description = "Where to write the results (default: bench-results/rollout-<timestamp>.json).")
        Path json;

        @Override
        public void run() {
            if (prompts < 1 || generations < 1 || promptTokens < 1 || tokens < 1 || runs < 1) {
                throw new JtuneException("--prompts, --generations, --prompt-tokens, --tokens and --runs must be >= 1");
            }
            threads.apply();
            Path dir = ModelLocator.fromEnvironment().locate(model, null, HubClient.DownloadProgress.SILENT);
            var settings = new RolloutBench.Settings(prompts, generations, promptTokens, tokens, runs, 42);
            RolloutBench.Result result;
            try (HfModelDirectory files = HfModelDirectory.open(dir)) {
                CausalLM causalLm = InferenceModels.frozen(files.config(), new HfWeightSource(files));
                LoraAdapter lora = adapter == null ? null : PeftAdapters.load(causalLm,
                        adapter.getFileName() == null ? "adapter" : adapter.getFileName().toString(), adapter);
                result = RolloutBench.measure(causalLm, lora, settings);
            }
            System.out.printf("jtune bench rollout: %s%s, %d prompts x %d generations, prompt %d tokens, %d new tokens, %d kernel threads,"
                            + " median of %d runs%n", dir, adapter == null ? "" : " + " + adapter, prompts, generations, promptTokens, tokens,
                    ParallelTasks.threads(), runs);
            System.out.print(RolloutBench.table(result));
            System.out.printf("batched / one at a time: %.2fx tokens/s; same completions in both: %s%n", result.speedup(),
                    result.sameCompletions() ? "yes" : "no");
            var root = ResultsFile.root("rollout");
            root.put("model", dir.toString());
            if (adapter != null) root.put("adapter", adapter.toString());
            root.put("prompts", prompts).put("generations", generations).put("prompt_tokens", promptTokens).put("new_tokens", tokens)
                    .put("runs", runs).put("threads", ParallelTasks.threads());
            var rows = root.putArray("rows");
            for (RolloutBench.Row r : List.of(result.batched(), result.single())) {
                rows.addObject().put("mode", r.mode()).put("sequences_together", r.batch()).put("tokens", r.tokens())
                        .put("seconds", r.seconds()).put("tokens_per_second", r.tokensPerSecond());
            }
            root.put("speedup", result.speedup());
            root.put("same_completions", result.sameCompletions());
            Path path = ResultsFile.write(json != null ? json : ResultsFile.defaultPath("rollout"), root);
            System.out.println("Results written to " + path);
        }
    }

    @Command(name = "decode-step", mixinStandardHelpOptions = true, description = {
            "Where a batched decode step goes, on the Qwen2.5-0.5B shape with random bf16 weights: for R sequences decoded together"
                    + " (each prefilled with the prompt first), the median time of one step next to that of its matrix products alone"
                    + " (the same shapes, R token rows); the difference is attention, norms, RoPE and the hand-off between layers.",
            "The products are split further: the same products from the caches (the multiplications alone) and the weights' bytes"
                    + " at the measured read bandwidth (the reading alone).",
            "Holds the model's weights twice (about 2 GB at this shape): the products run on a copy; measuring the read bandwidth"
                    + " briefly takes a buffer as large as the weights."})
    static final class DecodeStep implements Runnable {
        @Option(names = "--rows", split = ",", defaultValue = "1,8", paramLabel = "R[,R...]",
                description = "Sequences decoded together, each count in turn (default: ${DEFAULT-VALUE}).")
        int[] rows;
        @Option(names = "--prompt", defaultValue = "128", description = "Prompt tokens prefilled per sequence before the timed steps (default: ${DEFAULT-VALUE}).")
        int prompt;
        @Option(names = "--steps", defaultValue = "15", description = "Timed steps (and passes over the products); medians are reported (default: ${DEFAULT-VALUE}).")
        int steps;
        @Mixin KernelThreads threads;
        @Mixin BenchShape shape;
        @Option(names = "--json", paramLabel = "PATH", description = "Where to write the results (default: bench-results/decode-step-<timestamp>.json).")
        Path json;

        @Override
        public void run() {
            if (prompt < 1 || steps < 1) throw new JtuneException("--prompt and --steps must be >= 1");
            for (int r : rows) if (r < 1) throw new JtuneException("--rows: row counts must be >= 1, got " + r);
            var config = shape.config();
            threads.apply();
            List<DecodeStepBench.Row> measured = DecodeStepBench.measure(config, rows, prompt, steps);
            System.out.printf("jtune bench decode-step: %s (%s bf16), prompt %d, %d timed steps, %d kernel threads%n", shape.name,
                    config.modelType() + " " + config.hiddenSize() + "x" + config.numHiddenLayers(), prompt, steps,
                    io.jtune.nn.ParallelTasks.threads());
            System.out.print(DecodeStepBench.table(measured));
            var root = ResultsFile.root("decode-step");
            root.put("shape", shape.name).put("prompt_tokens", prompt).put("steps", steps).put("threads", io.jtune.nn.ParallelTasks.threads());
            var out = root.putArray("rows");
            for (DecodeStepBench.Row r : measured) {
                out.addObject().put("rows", r.rows()).put("step_ms", r.stepMs()).put("step_min_ms", r.stepMinMs()).put("step_max_ms", r.stepMaxMs())
                        .put("products_ms", r.productsMs()).put("products_min_ms", r.productsMinMs()).put("products_max_ms", r.productsMaxMs())
                        .put("products_from_cache_ms", r.cachedProductsMs()).put("weights_read_ms", r.weightsReadMs());
            }
            Path path = ResultsFile.write(json != null ? json : ResultsFile.defaultPath("decode-step"), root);
            System.out.println("Results written to " + path);
        }
    }
}
