package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A job that runs one piece of work to its end with no training steps to report: an export
 * ({@code jtune export}) or a prediction ({@code do_predict}). The page sees its state, elapsed
 * time, log tail and, once finished, what it produced.
 */
final class TaskJob extends BackgroundJob {
    /** The work itself: prints its progress to {@code log}, returns what the page shows as the result. */
    interface Work {
        Map<String, Object> run(PrintStream log) throws Exception;
    }

    private final Work work;
    private final Runnable stopper;
    private Map<String, Object> result;

    /**
     * @param kind       the form that started it (export, predict)
     * @param formValues what the user set in that form, so a reloaded page can show the form as it was
     * @param stopper    asks the work to stop early; null when it cannot be stopped midway
     */
    TaskJob(String kind, Map<String, Object> formValues, String yaml, Work work, Runnable stopper, LongSupplier nanoClock) {
        super(kind, formValues, yaml, nanoClock);
        this.work = work;
        this.stopper = stopper;
    }

    @Override
    protected void work() throws Exception {
        Map<String, Object> r = work.run(logStream());
        synchronized (this) {
            result = r;
            setState(State.FINISHED);
        }
    }

    @Override
    protected boolean throwsWhenStopped() {
        return true;
    }

    @Override
    public synchronized void abort() {
        if (!isActive()) return;
        if (stopper == null) {
            throw new JtuneException("this " + kind() + " job cannot be stopped midway; it ends by itself");
        }
        setState(State.STOPPING);
        stopper.run();
    }

    @Override
    protected void describe(ObjectNode view) {
        view.put("abortable", stopper != null);
        if (result != null) view.set("result", Json.MAPPER.valueToTree(result));
    }
}
