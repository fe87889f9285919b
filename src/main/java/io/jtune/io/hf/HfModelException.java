package io.jtune.io.hf;

import io.jtune.JtuneException;
import java.nio.file.Path;

/**
 * A Hugging Face model directory that jtune cannot use as it stands: a config.json key with a bad
 * or unsupported value, or a checkpoint that does not match its config. The message names the file
 * and the key or tensor, and says what is allowed.
 */
public final class HfModelException extends JtuneException {
    private final Path file;

    public HfModelException(Path file, String message) {
        super((file == null ? "" : file + ": ") + message);
        this.file = file;
    }

    public HfModelException(Path file, String message, Throwable cause) {
        super((file == null ? "" : file + ": ") + message, cause);
        this.file = file;
    }

    /** The file at fault (config.json, generation_config.json, or the model directory). */
    public Path file() { return file; }
}
