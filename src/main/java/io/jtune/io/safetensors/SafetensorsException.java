package io.jtune.io.safetensors;

import io.jtune.JtuneException;
import java.nio.file.Path;

/**
 * A safetensors file or sharded checkpoint that cannot be read (or written) as it stands. The
 * message always names the file and, where one is involved, the tensor.
 */
public final class SafetensorsException extends JtuneException {
    private final Path file;
    private final String tensor;

    public SafetensorsException(Path file, String tensor, String problem) {
        super(describe(file, tensor, problem));
        this.file = file;
        this.tensor = tensor;
    }

    public SafetensorsException(Path file, String tensor, String problem, Throwable cause) {
        super(describe(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    public SafetensorsException(Path file, String problem) {
        this(file, null, problem);
    }

    /** The file at fault. */
    public Path file() { return file; }

    /** The tensor at fault, or null when the problem is not about one tensor. */
    public String tensor() { return tensor; }

    private static String describe(Path file, String tensor, String problem) {
        String where = file == null ? "safetensors" : file.toString();
        return tensor == null ? where + ": " + problem : where + ": tensor '" + tensor + "': " + problem;
    }
}
