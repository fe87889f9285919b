package io.jtune.io.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class HubClientTest {
    @TempDir Path tmp;
    FakeHub hub;
    Map<String, byte[]> files;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        files = new LinkedHashMap<>();
        byte[] weights = new byte[300_000];
        new Random(1).nextBytes(weights);
        files.put("config.json", "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8));
        files.put("tokenizer.json", "{\"model\":{}}".getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors", weights);
        files.put("pytorch_model.bin", new byte[1000]);
        files.put("onnx/model.onnx", new byte[10]);
        files.put("README.md", "# hi".getBytes(StandardCharsets.UTF_8));
        hub.addRepo("acme/tiny", false, files);
        hub.addRepo("acme/gated", true, files);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubClient client(String token) {
        return new HubClient(hub.endpoint(), token, new HubCache(tmp.resolve("cache")), Duration.ofSeconds(10));
    }

    @Test
    void downloadsOnlyTheNeededFilesIntoTheHfCacheLayout() throws IOException {
        Path snap = client(null).download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT);
        assertEquals(tmp.resolve("cache/models--acme--tiny/snapshots/" + FakeHub.COMMIT), snap);
        try (Stream<Path> s = Files.list(snap)) {
            assertEquals(java.util.Set.of("config.json", "tokenizer.json", "model.safetensors"),
                    s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
        // LFS blobs are named by their sha256, as in huggingface_hub's cache.
        assertTrue(Files.exists(tmp.resolve("cache/models--acme--tiny/blobs/" + FakeHub.sha256(files.get("model.safetensors")))));
        assertEquals(FakeHub.COMMIT, Files.readString(tmp.resolve("cache/models--acme--tiny/refs/main")));
        assertEquals(0, hub.count("GET /acme/tiny/resolve/main/pytorch_model.bin"));
    }

    @Test
    void secondDownloadAndLocatorUseTheCache() throws IOException {
        client(null).download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT);
        long before = hub.log.size();
        client(null).download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT);
        assertEquals(before + 1, hub.log.size(), "only the listing is asked again: " + hub.log);

        Path located = new ModelLocator(client(null), true).locate("acme/tiny", null, HubClient.DownloadProgress.SILENT);
        assertTrue(Files.exists(located.resolve("config.json")));
        assertEquals(before + 1, hub.log.size(), "a cached model needs no request");
    }

    @Test
    void gatedRepoNeedsTheTokenAndTheTokenStaysOnTheHubHost() throws IOException {
        JtuneException e = assertThrows(JtuneException.class,
                () -> client(null).download("acme/gated", "main", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("HF_TOKEN") && e.getMessage().contains("401"), e.getMessage());

        Path snap = client(hub.token).download("acme/gated", "main", null, HubClient.DownloadProgress.SILENT);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        synchronized (hub.log) {
            assertTrue(hub.log.stream().anyMatch(l -> l.startsWith("GET /cdn/") && !l.contains(" auth")), hub.log.toString());
            assertTrue(hub.log.stream().noneMatch(l -> l.startsWith("GET /cdn/") && l.contains(" auth")), hub.log.toString());
        }
    }

    @Test
    void unknownRepoIsA404WithTheName() {
        JtuneException e = assertThrows(JtuneException.class,
                () -> client(null).download("acme/nope", "main", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("acme/nope") && e.getMessage().contains("404"), e.getMessage());
    }

    @Test
    void interruptedTransfersResumeWithARangeRequest() throws IOException {
        hub.cutOffs.put("model.safetensors", new AtomicInteger(2));
        Path snap = client(null).download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(hub.count("GET /cdn/acme/tiny/model.safetensors range=bytes=") >= 1, hub.log.toString());
        assertTrue(hub.count("GET /cdn/acme/tiny/model.safetensors") <= 3 + BlobDownload.MAX_ATTEMPTS);
    }

    @Test
    void aTransferThatNeverCompletesFailsAfterBoundedRetries() {
        hub.cutOffs.put("model.safetensors", new AtomicInteger(1000));
        JtuneException e = assertThrows(JtuneException.class,
                () -> client(null).download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
        assertTrue(hub.count("GET /cdn/") <= BlobDownload.MAX_ATTEMPTS, hub.log.toString());
    }

    @Test
    void corruptedBytesFailTheSha256CheckAndLeaveNoBlob() throws IOException {
        hub.corrupt.put("model.safetensors", true);
        JtuneException e = assertThrows(JtuneException.class,
                () -> client(null).download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("cache/models--acme--tiny/blobs/" + FakeHub.sha256(files.get("model.safetensors")))));
    }

    @Test
    void localDirGetsRealFiles() throws IOException {
        Path dir = client(null).download("acme/tiny", "main", tmp.resolve("local"), HubClient.DownloadProgress.SILENT);
        assertEquals(tmp.resolve("local"), dir);
        assertFalse(Files.isSymbolicLink(dir.resolve("config.json")));
        assertArrayEquals(files.get("config.json"), Files.readAllBytes(dir.resolve("config.json")));
    }

    @Test
    void offlineWithoutCacheSaysHowToGetTheModel() {
        JtuneException e = assertThrows(JtuneException.class,
                () -> new ModelLocator(client(null), true).locate("acme/tiny", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE") && e.getMessage().contains("jtune download acme/tiny"), e.getMessage());
    }

    @Test
    void repoWithoutSafetensorsIsRefused() {
        hub.addRepo("acme/old", false, Map.of("config.json", new byte[2], "pytorch_model.bin", new byte[3]));
        JtuneException e = assertThrows(JtuneException.class,
                () -> client(null).download("acme/old", "main", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
    }

    @Test
    void locatorRejectsWhatIsNeitherAFolderNorARepoId() {
        JtuneException e = assertThrows(JtuneException.class,
                () -> new ModelLocator(client(null), false).locate("./no/such/dir", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("model_name_or_path"), e.getMessage());
    }
}
