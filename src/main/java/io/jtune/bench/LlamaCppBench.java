package io.jtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.io.gguf.GgmlType;
import io.jtune.io.gguf.GgufFileType;
import io.jtune.io.gguf.GgufModelSource;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.gguf.LlamaFamilyGguf;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Matrix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's figures on the same random model as jtune's: the model is exported by jtune as GGUF
 * (F16, Q8_0 and Q4_0 on every matrix by jtune's own exporter; Q4_0 with llama.cpp's default
 * tensor choices, a Q6_K embedding/LM head, by its llama-quantize from the F16 file), and
 * llama.cpp's {@code llama-bench} times prompt processing and generation on it with the same
 * prompt length, generated tokens, threads and repetitions, printing JSON.
 *
 * <p>A problem (no binary, a crash, output without the two rows) becomes a one-line
 * {@link Result#problem}: the jtune figures are printed whatever happens to the comparison.
 */
public final class LlamaCppBench {
    /** llama.cpp's GGUF types the comparison uses, each next to the jtune weights it is measured against. */
    public enum Type {
        F16("f16"), Q8_0("q8_0"),
        /** Q4_0 on every matrix (as {@code llama-quantize --pure} writes it): the same bytes jtune's q4_0 reads. */
        Q4_0("q4_0"),
        /** llama-quantize's Q4_0 file: Q4_0 decoder weights, the tied embedding/LM head in Q6_K. */
        Q4_0_QUANTIZE("q4_0+q6_k"),
        F32("f32");

        public final String fileName;

        Type(String fileName) { this.fileName = fileName; }

        /** The llama.cpp type jtune's frozen {@code weights} are compared with, or null. */
        public static Type matching(FrozenWeights weights) {
            if (weights.gguf() == GgmlType.Q8_0 || "int8".equals(weights.label())) return Q8_0;
            if (weights.gguf() == GgmlType.Q4_0) return Q4_0;
            if (weights.quantization() != null) return Q4_0_QUANTIZE;
            return switch (weights.dtype()) {
                case F32 -> F32;
                default -> F16;
            };
        }
    }

    /** One llama-bench measurement: tokens/s of prefill and decode and the file's size, or the problem. */
    public record Result(Type type, double prefillTokensPerSecond, double decodeTokensPerSecond, long modelBytes, String problem) {
        static Result failed(Type type, String problem) {
            return new Result(type, Double.NaN, Double.NaN, 0, problem);
        }

        public boolean ok() {
            return problem == null;
        }
    }

    private final Path llamaBench;
    private final Path llamaQuantize;
    private final Path workDir;

    private LlamaCppBench(Path llamaBench, Path llamaQuantize, Path workDir) {
        this.llamaBench = llamaBench;
        this.llamaQuantize = llamaQuantize;
        this.workDir = workDir;
    }

    /**
     * The llama.cpp build in {@code dir}: its llama-bench (and llama-quantize) in dir, dir/bin or
     * dir/build/bin, as cmake leaves them. GGUF files are written under {@code workDir}.
     */
    public static LlamaCppBench in(Path dir, Path workDir) {
        Path bench = binary(dir, "llama-bench");
        if (bench == null) {
            throw new JtuneException("--llama-cpp " + dir + ": no executable llama-bench in it, its bin/ or build/bin/"
                    + " (build llama.cpp as docs/benchmarks.md says)");
        }
        return new LlamaCppBench(bench, binary(dir, "llama-quantize"), workDir);
    }

    private static Path binary(Path dir, String name) {
        for (Path p : List.of(dir.resolve(name), dir.resolve("bin").resolve(name), dir.resolve("build").resolve("bin").resolve(name))) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * Exports {@code model} as {@code type} (jtune's exporter, or llama-quantize for Q4_0_QUANTIZE), times it
     * with llama-bench and deletes the file again.
     */
    public Result measure(Type type, GgufModelSource model, int promptTokens, int decodeTokens, int threads, int runs) {
        Path gguf = workDir.resolve("bench-" + type.fileName + ".gguf");
        Path f16 = workDir.resolve("bench-f16-for-quantize.gguf");
        try {
            Files.createDirectories(workDir);
            if (type == Type.Q4_0_QUANTIZE) {
                if (llamaQuantize == null) return Result.failed(type, "no llama-quantize next to llama-bench");
                LlamaFamilyGguf.export(model, GgufFileType.F16, f16);
                String problem = run(List.of(llamaQuantize.toString(), f16.toString(), gguf.toString(), "Q4_0"), 1800).problem;
                if (problem != null) return Result.failed(type, problem);
            } else {
                LlamaFamilyGguf.export(model, type == Type.Q4_0 ? GgufFileType.Q4_0 : GgufFileType.parse(type.fileName), gguf);
            }
            Output out = run(List.of(llamaBench.toString(), "-m", gguf.toString(), "-p", String.valueOf(promptTokens),
                    "-n", String.valueOf(decodeTokens), "-t", String.valueOf(threads), "-r", String.valueOf(runs), "-o", "json"), 3600);
            return out.problem != null ? Result.failed(type, out.problem) : parse(type, out.stdout);
        } catch (IOException e) {
            return Result.failed(type, "could not write the GGUF file under " + workDir + ": " + e.getMessage());
        } finally {
            deleteQuietly(gguf);
            deleteQuietly(f16);
        }
    }

    /** The prefill row (n_prompt > 0, n_gen 0) and the decode row (n_gen > 0) of llama-bench's JSON array. */
    static Result parse(Type type, String json) {
        JsonNode rows;
        try {
            rows = new ObjectMapper().readTree(json.substring(Math.max(0, json.indexOf('['))));
        } catch (IOException e) {
            return Result.failed(type, "llama-bench printed no JSON array: " + e.getMessage());
        }
        double prefill = Double.NaN, decode = Double.NaN;
        long size = 0;
        for (JsonNode row : rows) {
            if (row.path("n_prompt").asInt() > 0 && row.path("n_gen").asInt() == 0) prefill = row.path("avg_ts").asDouble(Double.NaN);
            if (row.path("n_gen").asInt() > 0 && row.path("n_prompt").asInt() == 0) decode = row.path("avg_ts").asDouble(Double.NaN);
            size = Math.max(size, row.path("model_size").asLong());
        }
        if (Double.isNaN(prefill) || Double.isNaN(decode)) {
            return Result.failed(type, "llama-bench's JSON has no prompt row (n_prompt > 0) and generation row (n_gen > 0) with avg_ts");
        }
        return new Result(type, prefill, decode, size, null);
    }

    private record Output(String stdout, String problem) {}

    /** Runs a llama.cpp tool; its standard error goes to a log file named in the problem if it fails. */
    private Output run(List<String> command, long timeoutSeconds) throws IOException {
        String tool = Path.of(command.get(0)).getFileName().toString();
        Path log = workDir.resolve(tool + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(log.toFile());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return new Output(null, command.get(0) + " cannot be started: " + e.getMessage());
        }
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Output(null, tool + " did not finish within " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Output(null, tool + " was interrupted");
        }
        if (process.exitValue() != 0) return new Output(null, tool + " failed (exit " + process.exitValue() + "), see " + log);
        return new Output(new String(out, StandardCharsets.UTF_8), null);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temporary file is not worth failing the benchmark for
        }
    }

    /**
     * The benchmark's random model as a GGUF source: its bf16 weights under their HF names and a
     * byte-level vocabulary of the model's size (the 256 byte tokens, then filler tokens, the last
     * one the end-of-text control token): llama.cpp needs one token per embedding row, and
     * llama-bench's prompts are random ids, so the tokens' text does not matter.
     */
    public static GgufModelSource source(ModelConfig config, io.jtune.model.WeightSource weights) {
        GgufTokenizer tokenizer = benchVocabulary(config.vocabSize());
        return new GgufModelSource() {
            @Override public ModelConfig config() { return config; }
            @Override public String name() { return "jtune-bench-random-" + config.modelType(); }
            @Override public Matrix tensor(String hfName) { return weights.tensor(hfName); }
            @Override public GgufTokenizer tokenizer() { return tokenizer; }
        };
    }

    static GgufTokenizer benchVocabulary(int size) {
        if (size < 257) throw new IllegalArgumentException("a byte-level vocabulary needs at least 257 tokens, not " + size);
        List<String> tokens = new ArrayList<>(size);
        int[] types = new int[size];
        for (int b = 0; b < 256; b++) {
            tokens.add(new String(Character.toChars(byteLevelChar(b))));
            types[b] = GgufTokenizer.TYPE_NORMAL;
        }
        for (int i = 256; i < size - 1; i++) {
            tokens.add("<|bench_" + i + "|>");
            types[i] = GgufTokenizer.TYPE_NORMAL;
        }
        tokens.add("<|endoftext|>");
        types[size - 1] = GgufTokenizer.TYPE_CONTROL;
        return new GgufTokenizer("gpt2", "qwen2", tokens, types, List.of(), null, null, size - 1, null, size - 1,
                false, null, null, null);
    }

    /**
     * GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves, the others are
     * moved up to 256 and beyond in byte order.
     */
    static int byteLevelChar(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return b;
        int shifted = 0;
        for (int c = 0; c < b; c++) {
            if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) shifted++;
        }
        return 256 + shifted;
    }
}
