package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CliTest {
    private static String run(int expectedExit, String... args) {
        CommandLine cl = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        assertEquals(expectedExit, cl.execute(args));
        return out.toString();
    }

    @Test
    void helpListsTheCommands() {
        String help = run(0, "--help");
        assertTrue(help.contains("version"), help);
        assertTrue(help.contains("env"), help);
    }

    @Test
    void unknownCommandIsAUsageError() {
        String out = run(2, "no-such-command");
        assertTrue(out.contains("no-such-command"), out);
    }

    @Test
    void envReportsVectorWidthAndCores() {
        var facts = EnvCommand.facts();
        assertTrue(facts.get("Vector API").contains("bits"), facts.toString());
        assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), facts.get("CPU cores"));
        assertTrue(Runtime.version().feature() >= 25);
    }
}
