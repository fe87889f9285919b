package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.gguf.GgufReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jtune bench decode on the tiny shape: alone, and next to a stand-in llama.cpp build whose
 * llama-bench checks that it was handed a GGUF file and the run's settings, keeps a copy of the file,
 * and prints llama-bench's JSON with fixed figures (llama-quantize copies its input).
 */
class BenchDecodeTest {
    private static final String LLAMA_BENCH = """
            #!/bin/bash
            # stand-in llama-bench: -m FILE -p N -n N -t N -r N -o json
            set -e
            while [ $# -gt 0 ]; do
              case "$1" in
                -m) model="$2"; shift 2 ;;
                -p) prompt="$2"; shift 2 ;;
                -n) gen="$2"; shift 2 ;;
                -t) threads="$2"; shift 2 ;;
                -r) shift 2 ;;
                -o) [ "$2" = json ] || exit 3; shift 2 ;;
                *) echo "unknown option $1" >&2; exit 2 ;;
              esac
            done
            [ "$(head -c 4 "$model")" = GGUF ] || { echo "not a GGUF file: $model" >&2; exit 4; }
            cp "$model" "$(dirname "$0")/seen-$(basename "$model")"
            case "$model" in *f16*) pp=200; tg=20 ;; *q8_0*) pp=150; tg=40 ;; *) pp=100; tg=80 ;; esac
            size=$(stat -c %s "$model")
            echo "[{\\"n_prompt\\": $prompt, \\"n_gen\\": 0, \\"n_threads\\": $threads, \\"avg_ts\\": $pp, \\"model_size\\": $size},"
            echo " {\\"n_prompt\\": 0, \\"n_gen\\": $gen, \\"n_threads\\": $threads, \\"avg_ts\\": $tg, \\"model_size\\": $size}]"
            """;
    private static final String LLAMA_QUANTIZE = """
            #!/bin/bash
            # stand-in llama-quantize: IN OUT TYPE
            [ $# -eq 3 ] && [ "$3" = Q4_0 ] || { echo "usage: llama-quantize IN OUT Q4_0" >&2; exit 2; }
            cp "$1" "$2"
            """;

    @Test
    void comparesWithLlamaCppOnTheSameModel(@TempDir Path dir) throws Exception {
        Path build = dir.resolve("llama.cpp/build/bin");
        Files.createDirectories(build);
        script(build.resolve("llama-bench"), LLAMA_BENCH);
        script(build.resolve("llama-quantize"), LLAMA_QUANTIZE);
        Path json = dir.resolve("decode.json");
        Run run = run("bench", "decode", "--shape", "tiny", "--weights", "bf16,q8_0,q4_0,nf4", "--prompt", "8", "--tokens", "4",
                "--runs", "1", "--threads", "2", "--llama-cpp", dir.resolve("llama.cpp").toString(),
                "--work-dir", dir.resolve("work").toString(), "--json", json.toString());
        assertEquals(0, run.exit, run.text);
        assertTrue(run.text.contains("roofline tok/s") && run.text.contains("decode ratio"), run.text);

        JsonNode results = new ObjectMapper().readTree(Files.readString(json)).get("results");
        assertEquals(4, results.size());
        // q4_0 against jtune's own all-Q4_0 export; nf4 against llama-quantize's Q4_0 file
        List<String> types = List.of("f16", "q8_0", "q4_0", "q4_0+q6_k");
        double[] decode = {20, 40, 80, 80};
        for (int i = 0; i < 4; i++) {
            JsonNode r = results.get(i), l = r.get("llama_cpp");
            assertEquals(types.get(i), l.get("type").asText(), r.toString());
            assertEquals(decode[i], l.get("decode_tokens_per_second").asDouble());
            assertEquals(r.get("decode_tokens_per_second").asDouble() / decode[i], l.get("decode_ratio").asDouble(), 1e-9);
            assertTrue(r.get("roofline").get("bytes_per_token").asLong() > 0 && r.get("roofline").get("read_bytes_per_second").asDouble() > 0);
        }
        // q8_0 stores every matrix in 34 bytes per 32 elements: fewer bytes per token than bf16;
        // q4_0 in 18: fewer again, and fewer than nf4 with its bf16 LM head
        long bf16 = results.get(0).get("roofline").get("bytes_per_token").asLong();
        long q8 = results.get(1).get("roofline").get("bytes_per_token").asLong();
        long q4 = results.get(2).get("roofline").get("bytes_per_token").asLong();
        long nf4 = results.get(3).get("roofline").get("bytes_per_token").asLong();
        assertTrue(q8 < bf16 && q8 > bf16 / 2 && q4 < q8 && q4 < nf4, bf16 + " " + q8 + " " + q4 + " " + nf4);

        // the files llama.cpp was given: jtune's F16, Q8_0 and Q4_0 exports, one token per embedding row
        for (String type : List.of("f16", "q8_0", "q4_0")) {
            Path seen = build.resolve("seen-bench-" + type + ".gguf");
            GgufReader gguf = GgufReader.open(seen);
            assertEquals("qwen2", gguf.metadata().getString("general.architecture"));
            assertEquals(512, gguf.metadata().get("tokenizer.ggml.tokens").list().size());
            assertEquals(type.toUpperCase(), gguf.tensor("blk.0.ffn_down.weight").type().name());
        }
        // temporary GGUF files are gone
        try (var left = Files.list(dir.resolve("work"))) {
            assertFalse(left.anyMatch(p -> p.toString().endsWith(".gguf")));
        }
    }

    @Test
    void printsJtuneAloneWithoutABuildAndNamesAMissingOne(@TempDir Path dir) throws Exception {
        Run alone = run("bench", "decode", "--shape", "tiny", "--weights", "bf16", "--prompt", "4", "--tokens", "2", "--runs", "1",
                "--json", dir.resolve("d.json").toString());
        assertEquals(0, alone.exit, alone.text);
        assertTrue(alone.text.contains("roofline") && alone.text.contains("llama.cpp: not compared"), alone.text);
        assertFalse(alone.text.contains("decode ratio"), alone.text);

        Run missing = run("bench", "decode", "--shape", "tiny", "--weights", "bf16", "--llama-cpp", dir.toString());
        assertEquals(1, missing.exit);
        assertTrue(missing.text.contains("no executable llama-bench"), missing.text);
    }

    @Test
    void aFailingLlamaBenchLeavesJtunesFigures(@TempDir Path dir) throws Exception {
        script(dir.resolve("llama-bench"), "#!/bin/bash\necho 'model load failed' >&2\nexit 1\n");
        Run run = run("bench", "decode", "--shape", "tiny", "--weights", "bf16", "--prompt", "4", "--tokens", "2", "--runs", "1",
                "--llama-cpp", dir.toString(), "--work-dir", dir.resolve("work").toString(), "--json", dir.resolve("d.json").toString());
        assertEquals(0, run.exit, run.text);
        assertTrue(run.text.contains("llama-bench failed (exit 1)") && run.text.contains("f16 (failed)"), run.text);
    }

    private record Run(int exit, String text) {}

    private static Run run(String... args) {
        PrintStream saved = System.out, savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8);
            System.setOut(both);
            System.setErr(both);
            exit = Main.newCommandLine().execute(args);
        } finally {
            System.setOut(saved);
            System.setErr(savedErr);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }

    private static void script(Path path, String text) throws Exception {
        Files.writeString(path, text);
        assertTrue(path.toFile().setExecutable(true));
    }
}
