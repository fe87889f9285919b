package io.jtune.serve.ops;

import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** GET /metrics: {@link ServerMetrics} in Prometheus' text format, for a scraper. */
public final class MetricsEndpoint {
    private final ServerMetrics metrics;

    public MetricsEndpoint(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    public void handle(Context ctx) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        metrics.write(body);
        ctx.status(200).contentType(metrics.contentType()).result(body.toByteArray());
    }
}
