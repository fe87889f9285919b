package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @Test
    void gemmPrintsATableAndWritesJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out/gemm.json");
        String text = succeeds("bench", "gemm", "--only", "lora.A fwd", "--tokens", "32", "--threads", "1",
                    "--runs", "1", "--warmup", "0", "--no-openblas", "--json", json.toString());
        assertTrue(text.contains("lora.A") && text.contains("32x896x8"), text);
        var root = new ObjectMapper().readTree(Files.readString(json));
        assertEquals("gemm", root.get("benchmark").asText());
        assertEquals(1, root.get("results").size());
        assertTrue(root.get("results").get(0).get("jtune_gflops").asDouble() > 0);
    }

    @Test
    void dpoTimesBothStepsInTheirOwnJvmsAndReportsTheRatios(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("dpo.json");
        String text = succeeds("bench", "dpo", "--model", "tiny", "--pairs", "2", "--seq", "16", "--steps", "1",
                    "--warmup-steps", "0", "--threads", "1", "--json", json.toString());
        assertTrue(text.contains("tiny Qwen2 LoRA r8 (bfloat16 frozen) SFT, 4 sequences") && text.contains("DPO sigmoid, 2 pairs"), text);
        assertTrue(text.contains("DPO / SFT: step time ") && text.contains("(target <= 1.4x), peak RSS "), text);
        var root = new ObjectMapper().readTree(Files.readString(json));
        assertEquals("dpo", root.get("benchmark").asText());
        assertEquals(2, root.get("results").size());
        var sft = root.get("results").get(0);
        var dpo = root.get("results").get(1);
        assertEquals("sft", sft.get("kind").asText());
        assertEquals(dpo.get("seconds_per_step").asDouble() / sft.get("seconds_per_step").asDouble(),
                root.get("dpo_over_sft_step_time").asDouble(), 1e-12);
        assertEquals((double) dpo.get("peak_rss_bytes").asLong() / sft.get("peak_rss_bytes").asLong(),
                root.get("dpo_over_sft_peak_rss").asDouble(), 1e-12);
        assertTrue(sft.get("peak_rss_bytes").asLong() > 0 && dpo.get("peak_rss_bytes").asLong() > 0, root.toString());
        assertEquals(Math.log(2), dpo.get("loss").asDouble(), 1e-9, "one step from LoRA B = 0: the policy is the reference");
    }

    @Test
    void decodeStepPrintsATableAndWritesJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("decode-step.json");
        String text = succeeds("bench", "decode-step", "--shape", "tiny", "--rows", "1,3", "--prompt", "4",
                    "--steps", "2", "--threads", "1", "--json", json.toString());
        assertTrue(text.contains("jtune bench decode-step: tiny") && text.contains("products ms"), text);
        var root = new ObjectMapper().readTree(Files.readString(json));
        assertEquals("decode-step", root.get("benchmark").asText());
        assertEquals(2, root.get("rows").size());
        assertEquals(3, root.get("rows").get(1).get("rows").asInt());
        assertTrue(root.get("rows").get(1).get("step_ms").asDouble() > 0, root.toString());
    }

    @Test
    void unknownShapesAreOneLineErrors() {
        StringWriter err = new StringWriter();
        var cl = Main.newCommandLine();
        cl.setErr(new PrintWriter(err));
        for (String bench : new String[] {"decode", "serve", "decode-step"}) {
            err.getBuffer().setLength(0);
            assertEquals(1, cl.execute("bench", bench, "--shape", "huge"), bench);
            assertTrue(err.toString().contains("--shape: 'huge' is not one of: qwen2.5-0.5b, tiny"), bench + ": " + err);
        }
    }

    @Test
    void badOptionsAreOneLineErrors() {
        StringWriter err = new StringWriter();
        var cl = Main.newCommandLine();
        cl.setErr(new PrintWriter(err));
        assertEquals(1, cl.execute("bench", "gemm", "--only", "no such case", "--no-openblas"));
        assertTrue(err.toString().startsWith("error: --only 'no such case' matches no case"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(1, cl.execute("bench", "gemm", "--clock", "sundial", "--no-openblas"));
        assertTrue(err.toString().contains("--clock: 'sundial' is not one of: wall, cpu"), err.toString());
    }

    /** Runs jtune with these arguments, asserts it exits 0, and returns what it printed. */
    private static String succeeds(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = Main.newCommandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, text);
        return text;
    }
}
