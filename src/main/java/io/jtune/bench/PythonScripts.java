package io.jtune.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the comparison scripts (benchmarks/*.py) are: under jtune's home, else under the working directory. */
public final class PythonScripts {
    /** Debian's interpreter, where python3-numpy and python3-torch live (not a pyenv/venv python). */
    public static final String DEFAULT_PYTHON = "/usr/bin/python3";

    private PythonScripts() {}

    /** The script's path, or null when it cannot be found. */
    public static Path find(String name) {
        String home = System.getProperty("jtune.home");
        for (Path dir : new Path[] {home == null ? null : Path.of(home, "benchmarks"), Path.of("benchmarks")}) {
            if (dir != null && Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        }
        return null;
    }
}
