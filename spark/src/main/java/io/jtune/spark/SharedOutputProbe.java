package io.jtune.spark;

import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Proves that the workers see the driver's output_dir: the driver writes a file with a fresh random
 * token into it, and each worker reads the token back from the same path. A worker on another
 * machine with a local folder of that name finds no file, or another run's token.
 */
final class SharedOutputProbe {
    static final String FILE_NAME = ".jtune-spark-probe";

    private SharedOutputProbe() {}

    /** Writes the probe (the driver); returns its token. */
    static String write(Path outputDir) {
        String token = UUID.randomUUID().toString();
        try {
            Files.createDirectories(outputDir);
            AtomicFiles.writeString(outputDir.resolve(FILE_NAME), token);
        } catch (IOException e) {
            throw new JtuneException("output_dir " + outputDir + " cannot be written by the driver: " + e.getMessage(), e);
        }
        return token;
    }

    /** Null when this worker sees the driver's probe, else what is wrong. */
    static String problem(Path outputDir, String token, String worker) {
        Path probe = outputDir.resolve(FILE_NAME);
        String seen;
        try {
            seen = Files.isRegularFile(probe) ? Files.readString(probe).strip() : null;
        } catch (IOException e) {
            seen = null;
        }
        if (token.equals(seen)) return null;
        return "output_dir " + outputDir + " is not shared: " + worker + " does not see the folder the driver wrote to"
                + " (" + (seen == null ? "no " + FILE_NAME + " there" : "another run's " + FILE_NAME) + "). Put output_dir (or"
                + " ray_storage_path) on storage every executor mounts at the same path";
    }

    static void remove(Path outputDir) {
        try {
            Files.deleteIfExists(outputDir.resolve(FILE_NAME));
        } catch (IOException e) {
            // a leftover probe is harmless: the next run writes a new token
        }
    }
}
