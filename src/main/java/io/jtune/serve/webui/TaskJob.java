package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A job that runs one piece of work to its end with no training steps to report: an export
 * ({@code jtune export}) or a prediction ({@code do_predict}). The page sees its state, elapsed
 * time, log tail and, once finished, what it produced.
 */
final class TaskJob implements WebUiJob {
    /** The work itself: prints its progress to {@code log}, returns what the page shows as the result. */
    interface Work {
        Map<String, Object> run(PrintStream log) throws Exception;
    }

    private final String kind;
    private final Map<String, Object> formValues;
    private final String yaml;
    private final Work work;
    private final Runnable stopper;
    private final LongSupplier nanoClock;
    private final LogTail log = new LogTail(300);

    private State state = State.STARTING;
    private long startedNanos;
    private long endedNanos;
    private String error;
    private Map<String, Object> result;
    private Thread thread;

    /**
     * @param kind       the form that started it (export, predict)
     * @param formValues what the user set in that form, so a reloaded page can show the form as it was
     * @param stopper    asks the work to stop early; null when it cannot be stopped midway
     */
    TaskJob(String kind, Map<String, Object> formValues, String yaml, Work work, Runnable stopper, LongSupplier nanoClock) {
        this.kind = kind;
        this.formValues = Map.copyOf(formValues);
        this.yaml = yaml;
        this.work = work;
        this.stopper = stopper;
        this.nanoClock = nanoClock;
    }

    @Override
    public synchronized void start() {
        startedNanos = nanoClock.getAsLong();
        state = State.RUNNING;
        thread = Thread.ofPlatform().name("jtune-webui-" + kind).daemon(true).start(this::run);
    }

    private void run() {
        try {
            Map<String, Object> r = work.run(new PrintStream(log, true, StandardCharsets.UTF_8));
            synchronized (this) {
                result = r;
                state = State.FINISHED;
            }
        } catch (JtuneException e) {
            end(e.getMessage());
        } catch (Exception | OutOfMemoryError e) {
            end(e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            synchronized (this) {
                endedNanos = nanoClock.getAsLong();
            }
        }
    }

    /** A failure, or the way an aborted run ends (the work throws once it sees the stop request). */
    private synchronized void end(String message) {
        error = message;
        state = state == State.STOPPING ? State.ABORTED : State.FAILED;
        log.add((state == State.ABORTED ? "stopped: " : "error: ") + message);
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public synchronized State state() {
        return state;
    }

    @Override
    public synchronized void abort() {
        if (!isActive()) return;
        if (stopper == null) {
            throw new JtuneException("an " + kind + " job cannot be stopped midway; it ends by itself");
        }
        state = State.STOPPING;
        stopper.run();
    }

    @Override
    public void join(long millis) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) t.join(millis);
    }

    @Override
    public synchronized ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kind", kind);
        n.put("state", state.name().toLowerCase(Locale.ROOT));
        n.put("abortable", stopper != null);
        long end = endedNanos != 0 ? endedNanos : nanoClock.getAsLong();
        n.put("elapsed_s", (end - startedNanos) / 1e9);
        n.put("yaml", yaml);
        n.set("values", Json.MAPPER.valueToTree(formValues));
        ArrayNode lines = n.putArray("log");
        log.lines().forEach(lines::add);
        if (error != null) n.put("error", error);
        if (result != null) n.set("result", Json.MAPPER.valueToTree(result));
        return n;
    }
}
