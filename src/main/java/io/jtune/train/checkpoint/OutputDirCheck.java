package io.jtune.train.checkpoint;

import io.jtune.JtuneException;
import io.jtune.util.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks before anything loads that output_dir can take what a run writes: it is a folder (or can be
 * made one) and a file can be created in it. A run that would fail at its first save fails now, in
 * one line, instead of after the model and the data have loaded.
 */
public final class OutputDirCheck {
    private OutputDirCheck() {}

    public static void requireWritable(Path outputDir) {
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
            throw new JtuneException("output_dir " + outputDir + " is a file, not a folder; choose another output_dir");
        }
        for (Path p = outputDir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new JtuneException("output_dir " + outputDir + " cannot be created: " + p + " is a file, not a folder");
            }
            if (Files.isDirectory(p)) break;
        }
        Path dir = outputDir.toAbsolutePath();
        Path firstMissing = null;
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) firstMissing = p;
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".jtune-write-test-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new JtuneException("output_dir " + outputDir + " is not writable: " + IoErrors.describe(e), e);
        } finally {
            removeCreated(dir, firstMissing);
        }
    }

    /** The folders made for the probe go again: a run that fails before it writes leaves no empty output_dir. */
    private static void removeCreated(Path dir, Path firstMissing) {
        if (firstMissing == null) return;
        for (Path p = dir; p != null; p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                return;
            }
            if (p.equals(firstMissing)) return;
        }
    }
}
