package io.jtune.serve.openai;

import io.javalin.http.Context;
import java.time.Clock;

/** GET /v1/models (the base model and every served adapter) and GET /v1/models/{id}. */
final class ModelsEndpoint {
    private final ServedModels models;
    private final Clock clock;

    ModelsEndpoint(ServedModels models, Clock clock) {
        this.models = models;
        this.clock = clock;
    }

    void list(Context ctx) {
        ctx.contentType("application/json").result(OpenAiJson.modelList(models.baseId(), models.ids(), clock.millis() / 1000));
    }

    void get(Context ctx) {
        String id = ctx.pathParam("id");
        if (!models.ids().contains(id)) {
            throw ApiError.modelNotFound(id, models.ids());
        }
        ctx.contentType("application/json").result(OpenAiJson.model(id, models.isAdapter(id) ? models.baseId() : null, clock.millis() / 1000));
    }
}
