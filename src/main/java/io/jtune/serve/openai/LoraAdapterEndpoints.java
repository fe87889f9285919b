package io.jtune.serve.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.jtune.JtuneException;
import io.jtune.infer.ChatEngine;
import io.jtune.serve.ApiSettings;
import io.jtune.serve.PathGuard;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * vLLM's run-time adapter endpoints: POST /v1/load_lora_adapter {"lora_name", "lora_path"} and POST
 * /v1/unload_lora_adapter {"lora_name"}, answering "Success: ..." as plain text. They change what the
 * server runs, so they are open only to holders of API_KEY: without a key set, they are refused.
 */
final class LoraAdapterEndpoints {
    private static final Logger LOG = LoggerFactory.getLogger(LoraAdapterEndpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChatEngine engine;
    private final ApiSettings settings;
    private final String baseId;
    private final PathGuard adapterFolders;

    LoraAdapterEndpoints(ChatEngine engine, ApiSettings settings, String baseId) {
        this.engine = engine;
        this.settings = settings;
        this.baseId = baseId;
        this.adapterFolders = new PathGuard(Path.of(""), settings.loraRoots(), "adapters may be loaded from",
                "list more in API_LORA_ROOTS");
    }

    void load(Context ctx) throws IOException {
        JsonNode body = body(ctx);
        String name = field(body, "lora_name");
        String path = field(body, "lora_path");
        if (name == null || path == null) {
            throw ApiError.invalid(name == null ? "lora_name" : "lora_path", "Both 'lora_name' and 'lora_path' must be provided.");
        }
        if (name.equals(baseId)) {
            throw ApiError.invalid("lora_name", "'" + name + "' is the base model's id (API_MODEL_NAME): give the adapter another name.");
        }
        Path dir;
        try {
            dir = adapterFolders.existingDirectory(path);   // links followed: ../, absolute paths and symlinks stay inside
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("lora_path", "lora_path: " + e.getMessage());
        }
        try {
            engine.loadAdapter(name, dir);
        } catch (JtuneException e) {
            throw ApiError.invalid("lora_path", e.getMessage());
        }
        LOG.info("Loaded LoRA adapter '{}' from {}", name, dir);
        ctx.status(200).contentType("text/plain; charset=utf-8").result("Success: LoRA adapter '" + name + "' added successfully.");
    }

    void unload(Context ctx) throws IOException {
        String name = field(body(ctx), "lora_name");
        if (name == null) {
            throw ApiError.invalid("lora_name", "'lora_name' must be provided.");
        }
        if (!engine.unloadAdapter(name)) {
            throw new ApiError(404, "The lora adapter '" + name + "' cannot be found.", "invalid_request_error", "lora_name", "model_not_found");
        }
        LOG.info("Unloaded LoRA adapter '{}'", name);
        ctx.status(200).contentType("text/plain; charset=utf-8").result("Success: LoRA adapter '" + name + "' removed successfully.");
    }

    /** The JSON body, after the checks every adapter request passes: a key is set (and was sent, checked before), JSON only. */
    private JsonNode body(Context ctx) throws IOException {
        if (settings.apiKey() == null) {
            throw ApiError.forbidden("Loading and unloading adapters is disabled: start the server with API_KEY set and send it as"
                    + " 'Authorization: Bearer <key>'.");
        }
        ChatCompletions.requireJson(ctx);
        byte[] bytes = BoundedBody.read(ctx.req().getInputStream(), ctx.req().getContentLengthLong(), settings.maxRequestBytes());
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiError.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiError.invalid(null, "The request body must be a JSON object.");
        }
        return node;
    }

    private static String field(JsonNode body, String name) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) return null;
        if (!value.isTextual() || value.asText().isBlank()) {
            throw ApiError.invalid(name, "'" + name + "' must be a non-empty string.");
        }
        return value.asText().strip();
    }
}
