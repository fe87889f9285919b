package io.jtune.serve.openai;

import io.jtune.infer.ChatEngine;
import java.util.ArrayList;
import java.util.List;

/**
 * The model ids this server answers to: the base model under API_MODEL_NAME and each served adapter
 * under its own name. A request's {@code model} picks one of them. With no adapter served, any name
 * reaches the base model, as LLaMA-Factory's API accepts any; with adapters, an unknown name is
 * refused, since answering it with the wrong model would be worse than an error.
 */
final class ServedModels {
    private final String baseId;
    private final ChatEngine engine;

    ServedModels(String baseId, ChatEngine engine) {
        this.baseId = baseId;
        this.engine = engine;
    }

    String baseId() {
        return baseId;
    }

    /** Every id, the base first, then the adapters in loading order. */
    List<String> ids() {
        List<String> ids = new ArrayList<>();
        ids.add(baseId);
        ids.addAll(engine.adapterNames());
        return ids;
    }

    boolean isAdapter(String id) {
        return !id.equals(baseId) && engine.adapterNames().contains(id);
    }

    /**
     * The adapter a request's {@code model} picks, or null for the base model.
     *
     * @throws ApiError 404 model_not_found when adapters are served and none has this name
     */
    String adapterFor(String model) {
        List<String> adapters = engine.adapterNames();
        if (adapters.isEmpty() || model.equals(baseId)) return null;
        if (adapters.contains(model)) return model;
        throw ApiError.modelNotFound(model, ids());
    }
}
