package io.jtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** A command that runs out of heap ends with one error line and exit 1, not a stack trace. */
class OutOfMemoryTest {
    @Command(name = "greedy")
    static final class Greedy implements Runnable {
        @Override
        public void run() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @Test
    void outOfMemoryIsOneLineWithWhatToChange() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(new Greedy());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        assertEquals(1, Main.execute(cl, new String[0], err));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("error: out of memory: the Java heap (at most "), text);
        assertTrue(text.contains("per_device_train_batch_size") && text.contains("JTUNE_JAVA_OPTS=-Xmx"), text);
        assertFalse(text.contains("at io.jtune"), "no stack trace: " + text);
    }

    @Test
    void theMessageGivesTheHeapInGiB() {
        assertTrue(Main.outOfMemoryMessage(6L << 30).contains("(at most 6.0 GiB)"));
    }
}
