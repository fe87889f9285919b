package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.config.ConfigLoader;
import io.jtune.infer.BatchedGeneration;
import io.jtune.infer.ChatModel;
import io.jtune.infer.ContinuousBatcher;
import io.jtune.infer.GenerationSettings;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.model.FinetuneSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the fast suite (skipped unless LLAMA_CPP_DIR names a llama.cpp build with its
 * llama-server, in it, its bin/ or build/bin/ (docs/benchmarks.md says how to build one), or
 * LLAMA_CPP_NODE names a folder where {@code npm install node-llama-cpp@3.22.1} was run: real
 * llama.cpp either way): the GGUF adapter jtune
 * exports, applied by llama.cpp to the base GGUF, gives the same greedy tokens as jtune with the
 * PEFT adapter over the same base (a tiny Llama: q/k rows permuted, 12 tokens); and
 * the adapter changes llama.cpp's output (the check can fail); and jtune reading the base GGUF alone
 * decodes as llama.cpp does.
 */
class GgufLlamaCppGreedyTest {
    static final Path SCRIPT = Path.of("src/test/llama-cpp/lora_greedy.mjs");
    static final int TOKENS = 12;

    @TempDir Path tmp;

    @Test
    void llamaCppWithTheGgufAdapterDecodesAsJtuneWithThePeftAdapter() throws Exception {
        LlamaCpp llama = LlamaCpp.fromEnvironment(tmp);
        Path fp32 = tmp.resolve("tiny-fp32");
        ExportFixtures.fp32Model(fp32);
        FinetuneSpec.Lora lora = new FinetuneSpec.Lora(4, 16.0, 0.0, List.of("all"), false, List.of());
        Path adapter = tmp.resolve("adapter");
        try (HfModelDirectory base = HfModelDirectory.open(fp32)) {
            ExportFixtures.saveAdapter(ExportFixtures.loraModel(base, lora, 11), lora, adapter, fp32);
        }
        Path out = tmp.resolve("ollama");
        ModelExport.Result r = ModelExportTest.export(tmp, ModelExportTest.yaml(fp32, adapter, out), "export_gguf_adapter=true");
        int[] prompt = {5, 17, 42, 99, 7, 3};
        List<Integer> jtune = jtuneGreedy(r.gguf(), adapter, prompt);
        List<Integer> llamaCpp = llama.greedy(r.gguf(), r.ggufAdapter(), prompt);
        List<Integer> llamaCppBase = llama.greedy(r.gguf(), null, prompt);
        assertEquals(jtune, llamaCpp, "greedy tokens: jtune (PEFT adapter) vs llama.cpp (GGUF adapter)");
        assertEquals(jtuneGreedy(r.gguf(), null, prompt), llamaCppBase, "greedy tokens of the GGUF base alone: jtune vs llama.cpp");
        assertNotEquals(llamaCppBase, llamaCpp, "the adapter changes llama.cpp's greedy output");
    }

    /** Where llama.cpp is: a build's llama-server (LLAMA_CPP_DIR) or node-llama-cpp (LLAMA_CPP_NODE); skips the test otherwise. */
    record LlamaCpp(Path server, String node, Path logs) {
        static LlamaCpp fromEnvironment(Path logs) {
            String dir = System.getenv("LLAMA_CPP_DIR");
            if (dir != null) {
                Path server = LlamaCppServerGreedy.server(Path.of(dir));
                if (server == null) throw new IllegalStateException("LLAMA_CPP_DIR=" + dir + " has no executable llama-server in it, its bin/ or build/bin/");
                return new LlamaCpp(server, null, logs);
            }
            String node = System.getenv("LLAMA_CPP_NODE");
            if (node == null || !Files.isDirectory(Path.of(node, "node_modules", "node-llama-cpp"))) {
                Assumptions.abort("neither LLAMA_CPP_DIR (a llama.cpp build with llama-server) nor LLAMA_CPP_NODE (a folder with"
                        + " node_modules/node-llama-cpp) is set: the llama.cpp greedy check is skipped");
            }
            return new LlamaCpp(null, node, logs);
        }

        List<Integer> greedy(Path base, Path adapter, int[] prompt) throws IOException, InterruptedException {
            if (server == null) return llamaCppGreedy(node, base, adapter, prompt);
            return LlamaCppServerGreedy.greedy(server, base, adapter, prompt, TOKENS,
                    logs.resolve("llama-server-" + (adapter == null ? "base" : "lora") + ".log"));
        }
    }

    /** jtune's greedy tokens over the base GGUF, with the PEFT adapter unless null (no stop ids: exactly TOKENS). */
    static List<Integer> jtuneGreedy(Path gguf, Path adapter, int[] prompt) throws InterruptedException {
        Map<String, Object> c = new HashMap<>(Map.of("model_name_or_path", gguf.toString(), "template", "chatml", "do_sample", false));
        if (adapter != null) {
            c.put("adapter_name_or_path", adapter.toString());
            c.put("finetuning_type", "lora");
        }
        try (ChatModel chat = ChatModel.load(ConfigLoader.fromMap("chat", c, List.of()));
             ContinuousBatcher batcher = new ContinuousBatcher(chat.model(), 1, 128)) {
            BatchedGeneration g = batcher.submit(prompt, chat.adapter(), GenerationSettings.greedy(TOKENS), Set.of());
            while (g.next() >= 0) { /* collected in end() */ }
            return Arrays.stream(g.end().tokens()).boxed().toList();
        }
    }

    static List<Integer> llamaCppGreedy(String node, Path base, Path adapter, int[] prompt) throws IOException, InterruptedException {
        String ids = Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(","));
        ProcessBuilder pb = new ProcessBuilder("node", SCRIPT.toString(), base.toString(), adapter == null ? "-" : adapter.toString(),
                Integer.toString(TOKENS), ids).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("LLAMA_CPP_NODE", node);
        Process p = pb.start();
        byte[] outBytes;
        try (InputStream in = p.getInputStream()) {
            outBytes = in.readAllBytes();
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("llama.cpp did not finish within 120 s");
        }
        if (p.exitValue() != 0) fail("llama.cpp (node-llama-cpp) failed with exit code " + p.exitValue());
        return Arrays.asList(new ObjectMapper().readValue(new String(outBytes, StandardCharsets.UTF_8), Integer[].class));
    }
}
