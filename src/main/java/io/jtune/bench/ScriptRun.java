package io.jtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a child process that measures something (one of the comparison scripts, or a jtune step in a
 * JVM of its own) and reads the JSON object it prints last. Every way it can fail (no python, no
 * script, a crash, a timeout) becomes a one-line {@link #problem} instead of an exception: a missing
 * comparison column must never stop the benchmark.
 */
public final class ScriptRun {
    public final JsonNode json;
    public final String problem;

    private ScriptRun(JsonNode json, String problem) {
        this.json = json;
        this.problem = problem;
    }

    public boolean ok() {
        return json != null;
    }

    public static ScriptRun run(String python, String script, List<String> args, Map<String, String> env,
                                String stdin, long timeoutSeconds) {
        Path path = PythonScripts.find(script);
        if (path == null) return new ScriptRun(null, "benchmarks/" + script + " not found (run from jtune's directory)");
        List<String> command = new ArrayList<>(List.of(python, path.toString()));
        command.addAll(args);
        return runCommand(command, script, "install Debian's python: apt-get install -y python3-numpy libopenblas0-pthread python3-torch",
                env, stdin, timeoutSeconds);
    }

    /**
     * Runs {@code command}, called {@code what} in problems; {@code startHint} says what to do when it
     * cannot even be started. Its standard error goes to ours.
     */
    public static ScriptRun runCommand(List<String> command, String what, String startHint, Map<String, String> env,
                                       String stdin, long timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return new ScriptRun(null, command.get(0) + " cannot be started (" + e.getMessage() + "); " + startHint);
        }
        try {
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            // Read stdout on this thread; the children print little, and only at the end.
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new ScriptRun(null, what + " did not finish within " + timeoutSeconds + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8).strip();
            String last = text.isEmpty() ? "" : text.substring(text.lastIndexOf('\n') + 1);
            if (process.exitValue() != 0 || !last.startsWith("{")) {
                return new ScriptRun(null, what + " failed (exit " + process.exitValue() + ")" + (last.isEmpty() ? "" : ": " + last));
            }
            JsonNode json = new ObjectMapper().readTree(last);
            if (json.hasNonNull("error")) return new ScriptRun(null, json.get("error").asText());
            return new ScriptRun(json, null);
        } catch (IOException e) {
            process.destroyForcibly();
            return new ScriptRun(null, what + " output could not be read: " + e.getMessage());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return new ScriptRun(null, what + " was interrupted");
        }
    }
}
