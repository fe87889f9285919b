package io.jtune.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDirectoryTest {
    @TempDir Path out;

    @Test
    void savesListsAndPrunesOldestFirst() throws IOException {
        CheckpointDirectory dir = new CheckpointDirectory(out);
        for (int step : new int[] {5, 10, 15}) {
            dir.save(step, d -> AtomicFiles.writeString(d.resolve("state.txt"), "step " + step));
        }
        assertEquals(List.of(out.resolve("checkpoint-5"), out.resolve("checkpoint-10"), out.resolve("checkpoint-15")), dir.list());
        dir.prune(2);
        assertEquals(List.of(out.resolve("checkpoint-10"), out.resolve("checkpoint-15")), dir.list());
        assertEquals("step 15", Files.readString(dir.latest().orElseThrow().resolve("state.txt")));
    }

    @Test
    void pruningKeepsTheBestCheckpointAsTheNewestButOne() throws IOException {
        CheckpointDirectory dir = new CheckpointDirectory(out);
        for (int step : new int[] {2, 4, 6, 8}) dir.save(step, d -> AtomicFiles.writeString(d.resolve("a"), "x"));
        dir.prune(2, out.resolve("checkpoint-2"));
        assertEquals(List.of(out.resolve("checkpoint-2"), out.resolve("checkpoint-8")), dir.list(), "the best and the last");
        dir.save(10, d -> AtomicFiles.writeString(d.resolve("a"), "x"));
        dir.prune(1, out.resolve("checkpoint-2"));
        assertEquals(List.of(out.resolve("checkpoint-10")), dir.list(), "a limit of 1 keeps the last only");
    }

    @Test
    void aSaveThatFailsMidwayLeavesThePreviousCheckpointAsLatest() throws IOException {
        CheckpointDirectory dir = new CheckpointDirectory(out);
        dir.save(1, d -> AtomicFiles.writeString(d.resolve("a"), "one"));
        assertThrows(IOException.class, () -> dir.save(2, d -> {
            AtomicFiles.writeString(d.resolve("a"), "half");
            throw new IOException("disk full");
        }));
        assertEquals(out.resolve("checkpoint-1"), dir.latest().orElseThrow());
        dir.removePartials();
        try (var s = Files.list(out)) {
            assertEquals(List.of(out.resolve("checkpoint-1")), s.toList());
        }
    }

    @Test
    void savingTheSameStepAgainReplacesIt() throws IOException {
        CheckpointDirectory dir = new CheckpointDirectory(out);
        dir.save(3, d -> AtomicFiles.writeString(d.resolve("a"), "first"));
        dir.save(3, d -> AtomicFiles.writeString(d.resolve("a"), "second"));
        assertEquals("second", Files.readString(out.resolve("checkpoint-3/a")));
        assertEquals(1, dir.list().size());
    }

    @Test
    void otherFoldersAreNotCheckpoints() throws IOException {
        Files.createDirectories(out.resolve("runs"));
        Files.createDirectories(out.resolve("checkpoint-x"));
        assertTrue(new CheckpointDirectory(out).list().isEmpty());
        assertFalse(new CheckpointDirectory(out.resolve("missing")).latest().isPresent());
    }
}
