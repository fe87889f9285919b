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
        try {
            Files.createDirectories(outputDir);
            Path probe = Files.createTempFile(outputDir, ".jtune-write-test-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new JtuneException("output_dir " + outputDir + " is not writable: " + IoErrors.describe(e), e);
        }
    }
}
