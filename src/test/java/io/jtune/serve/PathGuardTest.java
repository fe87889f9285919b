package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PathGuardTest {
    @TempDir Path tmp;

    @Test
    void relativePathsResolveInsideTheWorkingDirectory() throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        PathGuard guard = new PathGuard(work, List.of());
        assertEquals(work.toRealPath().resolve("saves/run1"), guard.resolve("saves/run1"));
        assertEquals(work.toRealPath().resolve("a"), guard.resolve("./b/../a"));
    }

    @Test
    void dotDotAndAbsolutePathsOutsideTheRootsAreRefused() throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        PathGuard guard = new PathGuard(work, List.of());
        IllegalArgumentException up = assertThrows(IllegalArgumentException.class, () -> guard.resolve("../secret"));
        assertTrue(up.getMessage().contains("outside the folders"), up.getMessage());
        assertThrows(IllegalArgumentException.class, () -> guard.resolve("/etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> guard.resolve("a/../../x"));
        assertEquals("required", assertThrows(IllegalArgumentException.class, () -> guard.resolve(" ")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> guard.resolve("a\0b"));
    }

    @Test
    void controlCharactersAreRefused() throws IOException {
        PathGuard guard = new PathGuard(Files.createDirectories(tmp.resolve("work")), List.of());
        for (String bad : List.of("out\nput", "a\rb", "tab\tbed", "esc\u001b[31m", "del\u007f", "c1\u0085x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> guard.resolve(bad), bad);
            assertTrue(e.getMessage().contains("control characters"), e.getMessage());
        }
        guard.resolve("saves/ünïcode 名字");
    }

    @Test
    void extraRootsAreAllowed() throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path models = Files.createDirectories(tmp.resolve("models"));
        PathGuard guard = new PathGuard(work, List.of(models));
        assertEquals(models.toRealPath().resolve("m"), guard.resolve(models.resolve("m").toString()));
        assertEquals(models.toRealPath(), guard.existingDirectory("../models"));
    }

    @Test
    void aSymbolicLinkOutOfARootIsRefused() throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(work.resolve("link"), outside);
        PathGuard guard = new PathGuard(work, List.of());
        assertThrows(IllegalArgumentException.class, () -> guard.resolve("link/file"));
        assertThrows(IllegalArgumentException.class, () -> guard.resolve("link/new/deeper"));
    }

    @Test
    void existingDirectoryNamesTheMissingFolder() throws IOException {
        PathGuard guard = new PathGuard(Files.createDirectories(tmp.resolve("w")), List.of());
        assertEquals("no such folder: nope", assertThrows(IllegalArgumentException.class, () -> guard.existingDirectory("nope")).getMessage());
    }

    @Test
    void hubIdsAreTellFromPaths() throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.createDirectories(work.resolve("local/model"));
        PathGuard guard = new PathGuard(work, List.of());
        assertTrue(guard.isHubId("Qwen/Qwen2.5-0.5B-Instruct"));
        assertFalse(guard.isHubId("local/model"), "an existing folder is a path");
        assertFalse(guard.isHubId("../x"));
        assertFalse(guard.isHubId("a/b/c"));
        assertFalse(guard.isHubId("/abs"));
    }
}
