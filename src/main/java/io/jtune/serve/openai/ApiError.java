package io.jtune.serve.openai;

/**
 * A request the server refuses, with the HTTP status and the fields of OpenAI's error body:
 * {@code {"error": {"message", "type", "param", "code"}}}. Thrown anywhere while handling a request;
 * the server turns it into the response.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String message, String type, String param, String code) {
        super(message, null, false, false); // a refusal, not a bug: no stack trace to fill in
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request is malformed or asks for something the server does not do. */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, message, "invalid_request_error", param, null);
    }

    /** 400 for a parameter OpenAI defines but jtune does not implement. */
    public static ApiError unsupported(String param, String message) {
        return new ApiError(400, message, "invalid_request_error", param, "unsupported_parameter");
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "Invalid API key: send the key set in API_KEY as 'Authorization: Bearer <key>'.",
                "invalid_request_error", null, "invalid_api_key");
    }

    public static ApiError notFound(String method, String path) {
        return new ApiError(404, "Unknown endpoint " + method + " " + path
                + ": jtune serves GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions,"
                + " POST /v1/load_lora_adapter, POST /v1/unload_lora_adapter, GET /health and GET /metrics.", "invalid_request_error", null, "unknown_url");
    }

    /** 405: a known endpoint asked with a method it does not answer. */
    public static ApiError methodNotAllowed(String method, String path, String allowed) {
        return new ApiError(405, "Method " + method + " is not allowed on " + path + ": use " + allowed + ".",
                "invalid_request_error", null, "method_not_allowed");
    }

    /** 404 for a model id (GET /v1/models/{id}, a request's model field) this server does not serve (OpenAI's model_not_found). */
    public static ApiError modelNotFound(String id, java.util.List<String> served) {
        return new ApiError(404, "The model '" + id + "' does not exist: this server serves "
                + String.join(", ", served.stream().map(s -> "'" + s + "'").toList()) + ".",
                "invalid_request_error", "model", "model_not_found");
    }

    /** 415: a JSON endpoint sent a body that does not say it is JSON. */
    public static ApiError unsupportedMediaType(String contentType) {
        return new ApiError(415, "Unsupported Content-Type " + (contentType == null ? "(none)" : "'" + contentType + "'")
                + ": send the request body as 'Content-Type: application/json'.", "invalid_request_error", null, "unsupported_media_type");
    }

    /** 403: without API_KEY, a request from another web site or through a host name that is not this machine's. */
    public static ApiError forbidden(String message) {
        return new ApiError(403, message, "invalid_request_error", null, "forbidden");
    }

    /** 400 for a prompt that leaves the model no room to reply (OpenAI's context_length_exceeded). */
    public static ApiError contextLengthExceeded(String message) {
        return new ApiError(400, message, "invalid_request_error", "messages", "context_length_exceeded");
    }

    public static ApiError tooLarge(long limitBytes) {
        return new ApiError(413, "Request body is larger than the limit of " + limitBytes
                + " bytes (API_MAX_REQUEST_BYTES).", "invalid_request_error", null, "request_too_large");
    }

    public static ApiError busy(int queued) {
        return new ApiError(503, "The server is busy: " + queued
                + " requests are already waiting for the model (API_MAX_QUEUE). Retry later.", "server_error", null, "server_busy");
    }

    public static ApiError internal(String message) {
        return new ApiError(500, message, "server_error", null, null);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
