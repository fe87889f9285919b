package io.jtune.serve.ops;

import io.javalin.http.Context;
import java.util.function.BooleanSupplier;

/**
 * GET /health, for load balancers and Kubernetes' readiness and liveness probes: 200 while the model
 * is loaded and the queue accepts work, 503 (with the reason) while the server stops or its queue is
 * full, so that a balancer sends the next request to another replica.
 */
public final class HealthEndpoint {
    private final BooleanSupplier loaded;
    private final BooleanSupplier accepting;

    public HealthEndpoint(BooleanSupplier loaded, BooleanSupplier accepting) {
        this.loaded = loaded;
        this.accepting = accepting;
    }

    public void handle(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        if (!loaded.getAsBoolean()) {
            ctx.status(503).contentType("application/json").result("{\"status\":\"unavailable\",\"reason\":\"the model is not loaded\"}");
        } else if (!accepting.getAsBoolean()) {
            ctx.status(503).header("Retry-After", "1").contentType("application/json")
                    .result("{\"status\":\"busy\",\"reason\":\"the request queue is full (API_MAX_QUEUE)\"}");
        } else {
            ctx.status(200).contentType("application/json").result("{\"status\":\"ok\"}");
        }
    }
}
