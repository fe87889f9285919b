package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigCommandTest {
    @TempDir Path dir;

    private static String run(int expectedExit, String... args) {
        CommandLine cl = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        assertEquals(expectedExit, cl.execute(args), out.toString());
        return out.toString();
    }

    @Test
    void checkPrintsResolvedValuesWithTheirOriginAndWarnings() throws IOException {
        Path cfg = dir.resolve("sft.yaml");
        Files.writeString(cfg, "model_name_or_path: m\nlora_rank: 4\nflash_attn: fa2\n");
        String out = run(0, "config", "check", cfg.toString(), "learning_rate=1e-4");
        assertTrue(out.contains("valid (4 keys set, 1 warnings)"), out);
        assertTrue(out.contains("# warning: flash_attn = fa2 is ignored: every choice computes the same exact attention"), out);
        assertTrue(out.contains("lora_rank: 4  # line 2"), out);
        assertTrue(out.contains("lora_alpha: 8  # derived"), out);
        assertTrue(out.contains("learning_rate: 1.0e-4  # override 'learning_rate=1e-4'"), out);
        assertTrue(out.contains("cutoff_len: 2048  # default"), out);
    }

    @Test
    void checkOfABadConfigIsOneErrorLine() throws IOException {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "model_name_or_path: m\nfinetuning_type: loar\n");
        String out = run(1, "config", "check", cfg.toString());
        assertEquals("error: " + cfg + ": line 2: key 'finetuning_type': 'loar' is not allowed; choose one of lora, oft, freeze, full"
                + " (did you mean lora?)", out.strip());
    }

    @Test
    void checkHelpListsTheSupportedKeys() {
        String help = run(0, "config", "check", "--help");
        assertTrue(help.contains("Configuration keys, in the YAML/JSON file or as key=value"), help);
        assertTrue(help.contains("  learning_rate (float, default 5.0e-05)\n      Peak learning rate.\n"), help);
        assertTrue(help.lines().allMatch(l -> l.length() <= 80), "picocli never has to rewrap the footer");
        assertTrue(help.contains("Warmup length as a fraction of the total steps"), help);
        assertTrue(!help.contains("use_galore"), "unsupported keys stay out of --help");
    }

    @Test
    void keysAndFormsPrintTheDefinitions() {
        assertTrue(run(0, "config", "keys", "data").contains("cutoff_len"));
        assertTrue(run(0, "config", "forms").contains("\"format\" : \"jtune-config-forms/1\""));
        assertTrue(run(1, "config", "keys", "nope").contains("unknown key group 'nope'"));
    }
}
