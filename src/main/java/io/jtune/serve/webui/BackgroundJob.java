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
 * What every web UI job shares: a thread of its own, a state, start and end times, a log tail, the
 * form values and YAML that started it, and the error that ended it. A subclass does the work in
 * {@link #work} and adds what its page shows in {@link #describe}.
 */
abstract class BackgroundJob implements WebUiJob {
    private final String kind;
    private final Map<String, Object> formValues;
    private final String yaml;
    private final LongSupplier nanoClock;
    private final LogTail log = new LogTail(300);

    private State state = State.STARTING;
    private long startedNanos;
    private long endedNanos;
    private String error;
    private Thread thread;
    private java.util.function.Consumer<java.nio.file.Path> dataFileCheck;

    /**
     * @param kind       the form that started it (train, evaluate, predict, export)
     * @param formValues what the user set in that form, so a reloaded page can show the form as it was
     */
    BackgroundJob(String kind, Map<String, Object> formValues, String yaml, LongSupplier nanoClock) {
        this.kind = kind;
        this.formValues = Map.copyOf(formValues);
        this.yaml = yaml;
        this.nanoClock = nanoClock;
    }

    /** The work, on the job's thread. It returns when done (or stopped); a failure is thrown. */
    protected abstract void work() throws Exception;

    /** Adds the fields only this kind of job has to the page's view of it (called holding the lock). */
    protected abstract void describe(ObjectNode view);

    /** The state the job takes as its thread starts (a training stays STARTING until its first step is planned). */
    protected State stateWhenStarted() {
        return State.RUNNING;
    }

    /** Whether the work answers a stop request by throwing (then that ends the job as ABORTED, not FAILED). */
    protected boolean throwsWhenStopped() {
        return false;
    }

    /** What the work prints goes to the log tail the page shows. */
    protected final PrintStream logStream() {
        return new PrintStream(log, true, StandardCharsets.UTF_8);
    }

    protected final long now() {
        return nanoClock.getAsLong();
    }

    protected final synchronized void setState(State next) {
        state = next;
    }

    /** Makes the job refuse, as it opens them, dataset files {@code check} refuses (call before {@link #start}). */
    final synchronized void confineDataFiles(java.util.function.Consumer<java.nio.file.Path> check) {
        this.dataFileCheck = check;
    }

    @Override
    public final synchronized void start() {
        startedNanos = now();
        if (state == State.STARTING) state = stateWhenStarted();   // an abort may have come first
        thread = Thread.ofPlatform().name("jtune-webui-" + kind).daemon(true).start(this::run);
    }

    private void run() {
        java.util.function.Consumer<java.nio.file.Path> check;
        synchronized (this) {
            check = dataFileCheck;
        }
        try {
            if (check == null) {
                work();
            } else {
                ScopedValue.where(io.jtune.data.source.DataFiles.FILE_CHECK, check).call(() -> {
                    work();
                    return null;
                });
            }
        } catch (JtuneException e) {
            end(e.getMessage());
        } catch (Exception | OutOfMemoryError e) {
            end(e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            synchronized (this) {
                endedNanos = now();
            }
        }
    }

    /** A failure, or the way a stopped job ends when its work stops by throwing. */
    private synchronized void end(String message) {
        error = message;
        state = state == State.STOPPING && throwsWhenStopped() ? State.ABORTED : State.FAILED;
        log.add((state == State.ABORTED ? "stopped: " : "error: ") + message);
    }

    @Override
    public final String kind() {
        return kind;
    }

    @Override
    public final synchronized State state() {
        return state;
    }

    @Override
    public final void join(long millis) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) t.join(millis);
    }

    @Override
    public final synchronized ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kind", kind);
        n.put("state", state.name().toLowerCase(Locale.ROOT));
        long end = endedNanos != 0 ? endedNanos : now();
        n.put("elapsed_s", (end - startedNanos) / 1e9);
        n.put("yaml", yaml);
        n.set("values", Json.MAPPER.valueToTree(formValues));
        ArrayNode lines = n.putArray("log");
        log.lines().forEach(lines::add);
        if (error != null) n.put("error", error);
        describe(n);
        return n;
    }
}
