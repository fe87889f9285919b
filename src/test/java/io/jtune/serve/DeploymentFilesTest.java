package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile and deploy/kubernetes agree with each other and with the server: the port, the probes
 * on /health, the scrape path /metrics, the config path the image reads, the unprivileged user, and a
 * ConfigMap config that jtune's loader accepts. (No container engine runs here; DistributionTest runs
 * the image's entrypoint from the distribution the Dockerfile copies.)
 */
class DeploymentFilesTest {
    static final Path KUBE = Path.of("deploy/kubernetes");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Every document of every manifest, by kind. */
    static Map<String, JsonNode> manifests() throws IOException {
        Map<String, JsonNode> byKind = new HashMap<>();
        try (var files = Files.list(KUBE)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(f.toFile())) {
                    while (docs.hasNext()) {
                        JsonNode doc = docs.next();
                        assertNotNull(doc.get("kind"), f + " has a document without kind");
                        JsonNode previous = byKind.put(doc.get("kind").asText(), doc);
                        assertTrue(previous == null, f + ": one " + doc.get("kind") + " only");
                    }
                }
            }
        }
        return byKind;
    }

    @Test
    void dockerfileBuildsWithMavenOnJdk25AndRunsTheApiUnprivilegedFromAJlinkedRuntime() throws IOException {
        Dockerfile d = Dockerfile.read(Path.of("Dockerfile"));
        assertEquals(2, d.stages().size(), "multi-stage: build and runtime");
        assertTrue(d.stages().get(0).matches("maven:\\S*temurin-25 AS build"), d.stages().get(0));
        assertTrue(d.instructions("RUN").stream().anyMatch(r -> r.contains("scripts/make-dist.sh /opt/jtune")));
        assertTrue(d.instructions("COPY").contains("--from=build /opt/jtune /opt/jtune"));
        String user = d.instructions("USER").getLast();
        assertFalse(user.startsWith("0") || user.startsWith("root"), user);
        List<String> entrypoint = d.jsonArray("ENTRYPOINT");
        assertEquals("/opt/jtune/runtime/bin/java", entrypoint.getFirst(), "the jlink'd runtime, not a JDK");
        assertEquals(List.of("-jar", "/opt/jtune/app/jtune.jar", "api"), entrypoint.subList(entrypoint.size() - 3, entrypoint.size()));
        assertEquals(List.of("/config/api.yaml"), d.jsonArray("CMD"));
        assertEquals(List.of("8000"), d.instructions("EXPOSE"));
    }

    @Test
    void deploymentProbesHealthAndIsScrapedOnMetrics() throws IOException {
        Map<String, JsonNode> m = manifests();
        JsonNode deployment = m.get("Deployment");
        JsonNode pod = deployment.at("/spec/template");
        assertEquals(deployment.at("/spec/selector/matchLabels"), pod.at("/metadata/labels"));
        JsonNode container = pod.at("/spec/containers/0");
        JsonNode port = container.at("/ports/0");
        assertEquals(8000, port.get("containerPort").asInt());
        assertEquals(ApiSettings.DEFAULT_PORT, port.get("containerPort").asInt());
        String portName = port.get("name").asText();
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            JsonNode get = container.at("/" + probe + "/httpGet");
            assertEquals("/health", get.get("path").asText(), probe);
            assertTrue(get.get("port").asText().equals(portName) || get.get("port").asInt() == 8000, probe);
        }
        JsonNode annotations = pod.at("/metadata/annotations");
        assertEquals("true", annotations.get("prometheus.io/scrape").asText());
        assertEquals("/metrics", annotations.get("prometheus.io/path").asText());
        assertEquals("8000", annotations.get("prometheus.io/port").asText());

        Map<String, String> env = new HashMap<>();
        for (JsonNode e : container.get("env")) env.put(e.get("name").asText(), e.has("value") ? e.get("value").asText() : "(secret)");
        assertEquals("8000", env.get("API_PORT"));
        assertEquals("0.0.0.0", env.get("API_HOST"));
        assertEquals("(secret)", env.get("API_KEY"), "the key comes from a Secret, never the manifest");

        assertEquals(10001, pod.at("/spec/securityContext/runAsUser").asInt());
        assertTrue(pod.at("/spec/securityContext/runAsNonRoot").asBoolean());
        assertEquals("10001:10001", Dockerfile.read(Path.of("Dockerfile")).instructions("USER").getLast());

        long request = bytes(container.at("/resources/requests/memory").asText());
        long limit = bytes(container.at("/resources/limits/memory").asText());
        assertTrue(request >= 2L << 30 && request <= limit, "memory request sized for the 0.5B model's weights and KV cache, within the limit");
    }

    @Test
    void serviceReachesTheContainerPortAndTheConfigMapIsAValidConfigAtTheImagesPath() throws IOException {
        Map<String, JsonNode> m = manifests();
        JsonNode deployment = m.get("Deployment");
        JsonNode container = deployment.at("/spec/template/spec/containers/0");
        JsonNode service = m.get("Service");
        assertEquals(deployment.at("/spec/template/metadata/labels"), service.at("/spec/selector"));
        assertEquals(container.at("/ports/0/name").asText(), service.at("/spec/ports/0/targetPort").asText());

        // /config/api.yaml (the image's CMD) is the ConfigMap's api.yaml through the config volume.
        String configVolume = null;
        for (JsonNode mount : container.get("volumeMounts")) {
            if (mount.get("mountPath").asText().equals("/config")) configVolume = mount.get("name").asText();
        }
        assertNotNull(configVolume, "a volume is mounted at /config");
        String configMapName = null;
        for (JsonNode v : deployment.at("/spec/template/spec/volumes")) {
            if (v.get("name").asText().equals(configVolume)) configMapName = v.at("/configMap/name").asText();
        }
        JsonNode configMap = m.get("ConfigMap");
        assertEquals(configMap.at("/metadata/name").asText(), configMapName);
        String apiYaml = configMap.at("/data/api.yaml").asText();
        Map<String, Object> values = YAML.readValue(apiYaml, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
        JtuneConfig config = ConfigLoader.fromMap("api.yaml", values, List.of());
        assertTrue(config.model().modelNameOrPath().startsWith("/models/"));
        for (String path : config.model().loraModules().values()) assertTrue(path.startsWith("/models/"), path);
        assertEquals(List.of("presales", "aftersales"), new ArrayList<>(config.model().loraModules().keySet()));

        JsonNode kustomization = m.get("Kustomization");
        List<String> resources = new ArrayList<>();
        kustomization.get("resources").forEach(r -> resources.add(r.asText()));
        try (var files = Files.list(KUBE)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml")).toList()) {
                assertTrue(resources.contains(f.getFileName().toString()), f + " is listed in kustomization.yaml");
            }
        }
    }

    static long bytes(String quantity) {
        if (quantity.endsWith("Gi")) return Long.parseLong(quantity.substring(0, quantity.length() - 2)) << 30;
        if (quantity.endsWith("Mi")) return Long.parseLong(quantity.substring(0, quantity.length() - 2)) << 20;
        throw new IllegalArgumentException("unexpected quantity " + quantity);
    }

    /** The few things read from a Dockerfile: its stages and instructions (continuation lines joined). */
    record Dockerfile(List<String[]> lines) {
        static Dockerfile read(Path file) throws IOException {
            List<String[]> lines = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String raw : Files.readAllLines(file)) {
                String line = raw.strip();
                if (current.isEmpty() && (line.isEmpty() || line.startsWith("#"))) continue;
                if (line.endsWith("\\")) {
                    current.append(line, 0, line.length() - 1).append(' ');
                    continue;
                }
                current.append(line);
                String[] parts = current.toString().strip().split("\\s+", 2);
                lines.add(new String[] {parts[0].toUpperCase(java.util.Locale.ROOT), parts.length > 1 ? parts[1].strip() : ""});
                current.setLength(0);
            }
            return new Dockerfile(lines);
        }

        List<String> instructions(String name) {
            return lines.stream().filter(l -> l[0].equals(name)).map(l -> l[1]).toList();
        }

        List<String> stages() {
            return instructions("FROM");
        }

        List<String> jsonArray(String name) throws IOException {
            List<String> values = new ArrayList<>();
            new ObjectMapper().readTree(instructions(name).getLast()).forEach(v -> values.add(v.asText()));
            return values;
        }
    }
}
