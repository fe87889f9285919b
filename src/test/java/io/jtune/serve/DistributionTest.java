package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.jtune.infer.TinyAdapters;
import io.jtune.infer.TinyChatModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds what the Dockerfile copies into its runtime image (scripts/make-dist.sh: a jlink'd runtime and
 * the jar with its libraries) and runs the image's ENTRYPOINT and CMD from it, /opt/jtune mapped to the
 * built folder and /config/api.yaml to a tiny model's config, then talks to it: /health, /v1/models,
 * a chat completion with an adapter, /metrics. The runtime is linked once and reused while the JDK and
 * the module list stay the same.
 */
class DistributionTest {
    @TempDir Path tmp;

    @Test
    void theImagesEntrypointServesTheApiFromTheJlinkedRuntime() throws Exception {
        Path dist = Path.of("target/dist").toAbsolutePath();
        ProcessBuilder make = new ProcessBuilder("bash", "scripts/make-dist.sh", dist.toString()).redirectErrorStream(true);
        make.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process build = make.start();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(8, TimeUnit.MINUTES), "make-dist.sh finished");
        assertEquals(0, build.exitValue(), buildLog);
        assertTrue(Files.isExecutable(dist.resolve("runtime/bin/java")) && Files.isRegularFile(dist.resolve("app/jtune.jar")), buildLog);
        assertTrue(!Files.exists(dist.resolve("runtime/bin/javac")), "a runtime, not a JDK");

        Path model = TinyChatModels.write(tmp);
        Path adapter = TinyAdapters.write(model, tmp.resolve("presales"), 1);
        Path config = Files.writeString(tmp.resolve("api.yaml"), "model_name_or_path: " + model + "\ntemplate: qwen\ndo_sample: false\n"
                + "max_new_tokens: 8\nlora_modules: presales=" + adapter + "\n");

        DeploymentFilesTest.Dockerfile dockerfile = DeploymentFilesTest.Dockerfile.read(Path.of("Dockerfile"));
        List<String> command = new ArrayList<>();
        for (String arg : dockerfile.jsonArray("ENTRYPOINT")) command.add(arg.replace("/opt/jtune", dist.toString()));
        for (String arg : dockerfile.jsonArray("CMD")) command.add(arg.equals("/config/api.yaml") ? config.toString() : arg);
        ProcessBuilder run = new ProcessBuilder(command).redirectErrorStream(true);
        run.environment().put("API_HOST", "127.0.0.1");
        run.environment().put("API_PORT", "0");
        run.environment().put("API_KEY", "sk-dist");
        run.environment().put("JDK_JAVA_OPTIONS", "-Xmx512m"); // a small heap for a tiny model on a shared machine
        Process api = run.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(api.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            CompletableFuture<String> baseUrl = CompletableFuture.supplyAsync(() -> {
                Pattern serving = Pattern.compile("Serving .* on (http://\\S+/v1)");
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        seen.append(line).append('\n');
                        Matcher m = serving.matcher(line);
                        if (m.find()) return m.group(1);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                throw new IllegalStateException("the API exited:\n" + seen);
            });
            String url = baseUrl.get(90, TimeUnit.SECONDS);
            Thread.ofVirtual().start(() -> { // keep draining the output so the server never blocks on a full pipe
                try {
                    while (out.readLine() != null) { /* discard */ }
                } catch (java.io.IOException ignored) {
                    // the process ended
                }
            });
            try (HttpClient http = HttpClient.newHttpClient()) {
                String root = url.replace("/v1", "");
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(root + "/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), health.body());
                OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(url).apiKey("sk-dist").maxRetries(0).timeout(Duration.ofSeconds(30)).build();
                try {
                    assertEquals(List.of("gpt-3.5-turbo", "presales"), client.models().list().data().stream().map(m -> m.id()).toList());
                    var reply = client.chat().completions().create(ChatCompletionCreateParams.builder().model("presales").addUserMessage("hello").build());
                    assertTrue(reply.usage().orElseThrow().completionTokens() > 0);
                } finally {
                    client.close();
                }
                HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(root + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
                PrometheusText parsed = PrometheusText.parse(metrics.body());
                assertEquals(1, parsed.value("jtune_requests_total", "model", "presales", "status", "200"));
                assertTrue(parsed.value("process_resident_memory_bytes") > 0, "the runtime has jdk.management for process metrics");
            }
        } finally {
            api.destroy();
            if (!api.waitFor(20, TimeUnit.SECONDS)) api.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
