package io.jtune.serve;

import io.jtune.JtuneException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How {@code jtune api} serves: the environment variables LLaMA-Factory's API reads (API_HOST,
 * API_PORT, API_KEY, API_MODEL_NAME) plus jtune's own limits (request size, queue, batch) and the access
 * log's prompt switch.
 *
 * @param host address to listen on. Default 127.0.0.1, not LLaMA-Factory's 0.0.0.0: the server has no
 *     key unless API_KEY is set, and a model open to the whole network lends out its CPU time and
 *     whatever it was fine-tuned on; whoever wants that sets API_HOST=0.0.0.0 on purpose.
 * @param port TCP port (default 8000); 0 picks a free one (tests)
 * @param apiKey the Bearer token every request must carry, or null for none
 * @param modelName the id /v1/models lists (default "gpt-3.5-turbo", as LLaMA-Factory, so clients
 *     written for OpenAI run unchanged)
 * @param maxRequestBytes larger request bodies get 413 (API_MAX_REQUEST_BYTES, default 1 MiB)
 * @param maxQueue requests that may wait for the model while it generates; more get 503 (API_MAX_QUEUE, default 64)
 * @param logPrompts whether the access log line of a chat completion carries its messages (API_LOG_PROMPTS, default
 *     false: prompts are users' data, and logs travel further than the server)
 * @param maxBatch requests decoded together (continuous batching; API_MAX_BATCH, default 8); more wait in the queue
 * @param loraRoots folders, besides the working directory, that POST /v1/load_lora_adapter may load from
 *     (API_LORA_ROOTS, separated by the path separator; default none)
 */
public record ApiSettings(String host, int port, String apiKey, String modelName, long maxRequestBytes, int maxQueue, boolean logPrompts,
                          int maxBatch, List<Path> loraRoots) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8000;
    public static final String DEFAULT_MODEL_NAME = "gpt-3.5-turbo";
    public static final long DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_QUEUE = 64;
    public static final int DEFAULT_MAX_BATCH = 8;

    public ApiSettings {
        if (host == null || host.isBlank()) {
            throw new JtuneException("API_HOST must not be empty: use an address such as 127.0.0.1 or 0.0.0.0");
        }
        if (port < 0 || port > 65535) {
            throw new JtuneException("API_PORT=" + port + " is out of range: use 1-65535 (or 0 for any free port)");
        }
        if (apiKey != null && apiKey.isEmpty()) {
            apiKey = null;
        }
        if (modelName == null || modelName.isBlank()) {
            throw new JtuneException("API_MODEL_NAME must not be empty");
        }
        if (maxRequestBytes < 1) {
            throw new JtuneException("API_MAX_REQUEST_BYTES=" + maxRequestBytes + " must be at least 1");
        }
        if (maxQueue < 0) {
            throw new JtuneException("API_MAX_QUEUE=" + maxQueue + " must be 0 or more");
        }
        if (maxBatch < 1) {
            throw new JtuneException("API_MAX_BATCH=" + maxBatch + " must be 1 or more");
        }
        loraRoots = loraRoots == null ? List.of() : List.copyOf(loraRoots);
    }

    /** The defaults: loopback, port 8000, no key. */
    public static ApiSettings defaults() {
        return new ApiSettings(DEFAULT_HOST, DEFAULT_PORT, null, DEFAULT_MODEL_NAME, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_QUEUE, false, DEFAULT_MAX_BATCH,
                List.of());
    }

    /** Reads the settings from the process environment. */
    public static ApiSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Reads the settings from {@code env} (unset or empty variables take their defaults). */
    public static ApiSettings fromEnvironment(Map<String, String> env) {
        return new ApiSettings(
                text(env, "API_HOST", DEFAULT_HOST),
                (int) number(env, "API_PORT", DEFAULT_PORT, 0, 65535, "a port number: 1-65535 (or 0 for any free port)"),
                text(env, "API_KEY", null),
                text(env, "API_MODEL_NAME", DEFAULT_MODEL_NAME),
                number(env, "API_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 1, Long.MAX_VALUE, "a size in bytes (at least 1)"),
                (int) number(env, "API_MAX_QUEUE", DEFAULT_MAX_QUEUE, 0, 100_000, "a number of requests: 0-100000"),
                flag(env, "API_LOG_PROMPTS"),
                (int) number(env, "API_MAX_BATCH", DEFAULT_MAX_BATCH, 1, 1024, "a number of sequences: 1-1024"),
                paths(env, "API_LORA_ROOTS"));
    }

    public ApiSettings withPort(int newPort) {
        return new ApiSettings(host, newPort, apiKey, modelName, maxRequestBytes, maxQueue, logPrompts, maxBatch, loraRoots);
    }

    public ApiSettings withApiKey(String newKey) {
        return new ApiSettings(host, port, newKey, modelName, maxRequestBytes, maxQueue, logPrompts, maxBatch, loraRoots);
    }

    public ApiSettings withLimits(long newMaxRequestBytes, int newMaxQueue) {
        return new ApiSettings(host, port, apiKey, modelName, newMaxRequestBytes, newMaxQueue, logPrompts, maxBatch, loraRoots);
    }

    public ApiSettings withLogPrompts(boolean newLogPrompts) {
        return new ApiSettings(host, port, apiKey, modelName, maxRequestBytes, maxQueue, newLogPrompts, maxBatch, loraRoots);
    }

    public ApiSettings withLoraRoots(List<Path> newLoraRoots) {
        return new ApiSettings(host, port, apiKey, modelName, maxRequestBytes, maxQueue, logPrompts, maxBatch, newLoraRoots);
    }

    /** Whether the server listens only on this machine. */
    public boolean isLoopbackOnly() {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
    }

    /** The key as shown in logs: never the key itself. */
    @Override
    public String toString() {
        return "ApiSettings[host=" + host + ", port=" + port + ", apiKey=" + (apiKey == null ? "none" : "set")
                + ", modelName=" + modelName + ", maxRequestBytes=" + maxRequestBytes + ", maxQueue=" + maxQueue + ", logPrompts=" + logPrompts + ", maxBatch=" + maxBatch + "]";
    }

    private static String text(Map<String, String> env, String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.strip();
    }

    private static List<Path> paths(Map<String, String> env, String name) {
        String value = text(env, name, null);
        if (value == null) return List.of();
        List<Path> out = new java.util.ArrayList<>();
        for (String part : value.split(java.util.regex.Pattern.quote(java.io.File.pathSeparator))) {
            if (part.isBlank()) continue;
            try {
                out.add(Path.of(part.strip()));
            } catch (java.nio.file.InvalidPathException e) {
                throw new JtuneException(name + ": '" + part + "' is not a valid path (" + e.getReason() + ")");
            }
        }
        return out;
    }

    private static boolean flag(Map<String, String> env, String name) {
        String value = text(env, name, null);
        if (value == null) return false;
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new JtuneException(name + "=" + value + " is not a switch: use true or false (1/0, yes/no, on/off)");
        };
    }

    private static long number(Map<String, String> env, String name, long fallback, long min, long max, String allowed) {
        String value = text(env, name, null);
        if (value == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with what is allowed
        }
        throw new JtuneException(name + "=" + value + " is not " + allowed);
    }
}
