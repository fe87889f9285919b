package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.JtuneException;
import io.jtune.infer.Cancellation;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Export and predict jobs: state, log, result, and which of them an Abort can stop. */
class TaskJobTest {
    private final AtomicLong now = new AtomicLong();

    @Test
    void anExportRunsToItsEndAndCannotBeAborted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TaskJob job = new TaskJob("export", Map.of("export_dir", "out"), "export_dir: out\n", log -> {
            log.println("Exporting tiny to out");
            if (!release.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
            return Map.of("export_dir", "out", "files", java.util.List.of("config.json"));
        }, null, now::get);
        job.start();
        assertTrue(job.isActive());
        JtuneException refused = assertThrows(JtuneException.class, job::abort);
        assertTrue(refused.getMessage().startsWith("this export job cannot be stopped midway"), refused.getMessage());
        assertEquals(WebUiJob.State.RUNNING, job.state());
        now.addAndGet(3_000_000_000L);
        release.countDown();
        job.join(10_000);
        JsonNode n = job.toJson();
        assertEquals("finished", n.get("state").asText());
        assertEquals(3.0, n.get("elapsed_s").asDouble(), 1e-9);
        assertEquals("[\"config.json\"]", n.get("result").get("files").toString());
        assertEquals("[\"Exporting tiny to out\"]", n.get("log").toString());
        assertEquals(false, n.get("abortable").asBoolean());
        assertEquals("{\"export_dir\":\"out\"}", n.get("values").toString(), "a reloaded page refills its form from these");
    }

    @Test
    void anAbortedPredictionEndsAbortedWithTheWorkflowsMessage() throws Exception {
        Cancellation cancellation = new Cancellation();
        CountDownLatch started = new CountDownLatch(1);
        TaskJob job = new TaskJob("predict", Map.of(), "", log -> {
            started.countDown();
            while (!cancellation.isCancelled()) Thread.onSpinWait();
            throw new JtuneException("prediction stopped after 1 of 3 example(s); nothing was written to out");
        }, cancellation::cancel, now::get);
        job.start();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        job.abort();
        job.join(10_000);
        JsonNode n = job.toJson();
        assertEquals("aborted", n.get("state").asText());
        assertTrue(n.get("error").asText().startsWith("prediction stopped after 1 of 3"), n.toString());
        assertTrue(n.get("log").get(0).asText().startsWith("stopped: prediction stopped"), n.toString());
        assertTrue(!n.has("result"));
    }

    @Test
    void aFailureIsShownAsTheErrorItRaised() throws Exception {
        TaskJob job = new TaskJob("export", Map.of(), "", log -> {
            throw new JtuneException("export_gguf: m has no tokenizer.json");
        }, null, now::get);
        job.start();
        job.join(10_000);
        assertEquals(WebUiJob.State.FAILED, job.state());
        assertEquals("export_gguf: m has no tokenizer.json", job.toJson().get("error").asText());
        job.abort(); // an ended job: nothing to stop, no error
    }
}
