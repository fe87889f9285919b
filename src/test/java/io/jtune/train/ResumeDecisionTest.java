package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumeDecisionTest {
    @TempDir Path dir;

    @Test
    void theNewestCheckpointIsResumedUnlessOverwriting() throws IOException {
        Files.createDirectories(dir.resolve("checkpoint-9"));
        Files.createDirectories(dir.resolve("checkpoint-10"));
        Files.createDirectories(dir.resolve("checkpoint-100.tmp")); // a half-written save never counts
        Files.createFile(dir.resolve("checkpoint-200"));            // nor a plain file
        assertEquals(Optional.of(dir.resolve("checkpoint-10")), ResumeDecision.resolve(dir, null, true, false));
        assertEquals(Optional.empty(), ResumeDecision.resolve(dir, null, true, true));
        assertEquals(Optional.empty(), ResumeDecision.resolve(dir, null, false, false));
        assertEquals(Optional.of(dir.resolve("checkpoint-9")), ResumeDecision.resolve(dir, dir.resolve("checkpoint-9").toString(), true, true));
        assertEquals(Optional.empty(), ResumeDecision.resolve(dir.resolve("absent"), null, true, false));
    }

    @Test
    void aFinishedModelWithoutCheckpointsIsNotOverwrittenSilently() throws IOException {
        Files.createFile(dir.resolve("adapter_model.safetensors"));
        JtuneException e = assertThrows(JtuneException.class, () -> ResumeDecision.resolve(dir, null, true, false));
        assertTrue(e.getMessage().contains("set overwrite_output_dir: true"), e.getMessage());
        assertEquals(Optional.empty(), ResumeDecision.resolve(dir, null, true, true));
        e = assertThrows(JtuneException.class, () -> ResumeDecision.resolve(dir, dir.resolve("nope").toString(), true, false));
        assertTrue(e.getMessage().startsWith("resume_from_checkpoint: "), e.getMessage());
    }
}
