package io.jtune.serve.webui;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The last lines a job printed, for the page's log box: an OutputStream that splits what is
 * written into lines and keeps the newest {@code capacity} of them. Carriage returns (progress
 * bars redrawing a line) end a line too.
 */
final class LogTail extends OutputStream {
    private final int capacity;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();

    LogTail(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n' || b == '\r') {
            if (current.size() > 0) add(current.toString(StandardCharsets.UTF_8));
            current.reset();
        } else {
            current.write(b);
        }
    }

    /** Adds one whole line (messages of the web UI itself, such as a failure). */
    synchronized void add(String line) {
        if (lines.size() == capacity) lines.removeFirst();
        lines.addLast(line);
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }
}
