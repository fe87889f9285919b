package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers --help with its usage, and its summary is whole sentences (picocli wraps them itself). */
class HelpTest {
    /** The command paths, e.g. ["config", "check"], of every command below jtune. */
    private static List<List<String>> paths(CommandLine cl, List<String> prefix) {
        List<List<String>> out = new ArrayList<>();
        for (CommandLine sub : new LinkedHashSet<>(cl.getSubcommands().values())) {
            List<String> path = new ArrayList<>(prefix);
            path.add(sub.getCommandName());
            out.add(path);
            out.addAll(paths(sub, path));
        }
        return out;
    }

    @Test
    void helpOnEveryCommandPrintsItsUsage() {
        List<List<String>> all = paths(Main.newCommandLine(), List.of());
        assertTrue(all.size() >= 15, all.toString());
        for (List<String> path : all) {
            if (path.getLast().equals("help")) continue;
            for (String flag : List.of("--help", "-h")) {
                CommandLine cl = Main.newCommandLine();
                StringWriter out = new StringWriter();
                cl.setOut(new PrintWriter(out));
                cl.setErr(new PrintWriter(out));
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                assertEquals(0, cl.execute(args.toArray(String[]::new)), path + " " + flag + ": " + out);
                String text = out.toString();
                assertTrue(text.startsWith("Usage: jtune " + String.join(" ", path)), path + ": " + text);
                assertFalse(text.contains("Missing required") || text.contains("Unknown option"), path + ": " + text);
            }
        }
    }

    @Test
    void descriptionsAreWholeSentences() {
        for (List<String> path : paths(Main.newCommandLine(), List.of())) {
            CommandLine cl = Main.newCommandLine();
            for (String name : path) cl = cl.getSubcommands().get(name);
            for (String line : cl.getCommandSpec().usageMessage().description()) {
                String t = line.replace("%n", "").strip();
                assertTrue(t.endsWith(".") || t.endsWith(".)"), path + ": a description line cut mid-sentence: " + t);
            }
        }
    }
}
