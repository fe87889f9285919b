package io.jtune.serve.ops;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.IntSupplier;

/**
 * What GET /metrics reports, in Prometheus' text format, through the Prometheus Java client: requests
 * by model (the base id or an adapter's name) and HTTP status, prompt and completion tokens by model,
 * the queue depth and the running batch, time-to-first-token and inter-token-latency histograms by
 * model, and the process' memory (resident and virtual, plus the JVM's heap and non-heap pools).
 *
 * <p>Each server has its own registry (not the library's default one), so that several servers in one
 * process (tests, the web UI) keep their counts apart. Model labels only ever take served ids or
 * {@value #UNKNOWN_MODEL}, so clients cannot grow the label set by sending made-up names.
 */
public final class ServerMetrics {
    /** The model label of requests that named no served model. */
    public static final String UNKNOWN_MODEL = "unknown";

    /** Latency buckets in seconds: a token of a small model takes milliseconds, a long prefill of a big one seconds. */
    private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
            0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Histogram timeToFirstToken;
    private final Histogram interTokenLatency;

    /**
     * @param queueDepth requests waiting for a place in the batch
     * @param batchSize sequences being generated now
     */
    public ServerMetrics(IntSupplier queueDepth, IntSupplier batchSize) {
        requests = Counter.builder().name("jtune_requests_total")
                .help("Chat completion requests answered, by model (base id or adapter name) and HTTP status")
                .labelNames("model", "status").register(registry);
        promptTokens = Counter.builder().name("jtune_prompt_tokens_total")
                .help("Prompt tokens of answered chat completions, by model").labelNames("model").register(registry);
        completionTokens = Counter.builder().name("jtune_completion_tokens_total")
                .help("Generated tokens of chat completions, by model").labelNames("model").register(registry);
        timeToFirstToken = Histogram.builder().name("jtune_time_to_first_token_seconds")
                .help("Time from a request's arrival to its first generated text, by model")
                .labelNames("model").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
        interTokenLatency = Histogram.builder().name("jtune_inter_token_latency_seconds")
                .help("Time between two successive generated tokens of one request, by model")
                .labelNames("model").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
        GaugeWithCallback.builder().name("jtune_queue_depth")
                .help("Requests waiting for a place in the running batch")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("jtune_batch_size")
                .help("Sequences being generated together now (the running batch)")
                .callback(cb -> cb.call(batchSize.getAsInt())).register(registry);
        ProcessMetrics.builder().register(registry);     // process_resident_memory_bytes, process_virtual_memory_bytes, CPU, ...
        JvmMemoryMetrics.builder().register(registry);   // jvm_memory_used_bytes{area="heap"|"nonheap"}, ...
    }

    /** One answered chat completion request. */
    public void request(String model, int status) {
        requests.labelValues(model, Integer.toString(status)).inc();
    }

    public void tokens(String model, int prompt, int completion) {
        promptTokens.labelValues(model).inc(prompt);
        completionTokens.labelValues(model).inc(completion);
    }

    public void firstToken(String model, double seconds) {
        timeToFirstToken.labelValues(model).observe(seconds);
    }

    public void interToken(String model, double seconds) {
        interTokenLatency.labelValues(model).observe(seconds);
    }

    /** The Content-Type of {@link #write}: Prometheus' text format 0.0.4. */
    public String contentType() {
        return writer.getContentType();
    }

    /** Writes every metric in Prometheus' text format. */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
