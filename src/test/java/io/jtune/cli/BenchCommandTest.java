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
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = Main.newCommandLine().execute("bench", "gemm", "--only", "lora.A fwd", "--tokens", "32", "--threads", "1",
                    "--runs", "1", "--warmup", "0", "--no-openblas", "--json", json.toString());
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, text);
        assertTrue(text.contains("lora.A") && text.contains("32x896x8"), text);
        var root = new ObjectMapper().readTree(Files.readString(json));
        assertEquals("gemm", root.get("benchmark").asText());
        assertEquals(1, root.get("results").size());
        assertTrue(root.get("results").get(0).get("jtune_gflops").asDouble() > 0);
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
}
