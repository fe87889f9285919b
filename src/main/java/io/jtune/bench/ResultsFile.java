package io.jtune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;

/** Writes a benchmark's JSON, by default to bench-results/&lt;name&gt;-&lt;timestamp&gt;.json, atomically. */
public final class ResultsFile {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultsFile() {}

    /** A results document's head, as every benchmark writes it: its name, when, and the machine it ran on. */
    public static ObjectNode root(String benchmark) {
        ObjectNode root = JSON.createObjectNode();
        root.put("benchmark", benchmark);
        root.put("timestamp", OffsetDateTime.now().toString());
        ObjectNode machine = root.putObject("machine");
        Machine.describe().forEach(machine::put);
        return root;
    }

    public static Path defaultPath(String name) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("bench-results", name + "-" + stamp + ".json");
    }

    public static Path write(Path path, ObjectNode root) {
        try {
            AtomicFiles.writeBytes(path, JSON.writeValueAsBytes(root));
            return path;
        } catch (IOException e) {
            throw new JtuneException("cannot write the benchmark results to " + path + ": " + e.getMessage());
        }
    }
}
