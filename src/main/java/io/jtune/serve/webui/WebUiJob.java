package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Work the web UI runs in the background, one at a time: a training, an evaluation, a prediction
 * or an export. The job lives in the server, so a reloaded page finds it as it is.
 */
public interface WebUiJob {
    /** Where a job is in its life. */
    enum State { STARTING, RUNNING, STOPPING, FINISHED, ABORTED, FAILED }

    /** The form that started it: train, evaluate, predict or export. */
    String kind();

    State state();

    /** Starts the work on a thread of its own. */
    void start();

    default boolean isActive() {
        State s = state();
        return s == State.STARTING || s == State.RUNNING || s == State.STOPPING;
    }

    /**
     * Asks the job to stop as soon as it safely can.
     *
     * @throws io.jtune.JtuneException when this kind of job cannot be stopped midway
     */
    void abort();

    /** Everything the page shows about the job: state, times, log tail, result or error. */
    ObjectNode toJson();

    /** Waits for the job's thread to end (tests, shutdown). */
    void join(long millis) throws InterruptedException;
}
