package io.jtune.io.hub;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A hub that cannot be reached gives a message that says so and names the host, never "null". Loopback only. */
@Timeout(60)
class HubUnreachableTest {
    @TempDir Path tmp;

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private HubClient client(URI endpoint) {
        return new HubClient(endpoint, null, new HubCache(tmp.resolve("cache")), Duration.ofSeconds(5));
    }

    @Test
    void nothingListeningIsConnectionRefusedWithTheHost() throws IOException {
        int port = closedPort();
        HubClient hub = client(URI.create("http://127.0.0.1:" + port));
        IOException e = assertThrows(IOException.class, () -> hub.download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT));
        assertTrue(e.getMessage().contains("cannot connect to 127.0.0.1:" + port) && e.getMessage().contains("HF_ENDPOINT"), e.getMessage());

        JtuneException located = assertThrows(JtuneException.class, () -> new ModelLocator(hub, false)
                .locate("acme/tiny", null, HubClient.DownloadProgress.SILENT));
        assertTrue(located.getMessage().startsWith("model_name_or_path: could not download acme/tiny: cannot connect to 127.0.0.1:"),
                located.getMessage());
        assertFalse(located.getMessage().contains("null"), located.getMessage());
    }

    @Test
    void aServerThatHangsUpGivesAMessageWithoutNull() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        s.getInputStream().read(); // read a byte of the request, then hang up
                    } catch (IOException ignored) {
                        return;
                    }
                }
            });
            HubClient hub = client(URI.create("http://127.0.0.1:" + server.getLocalPort()));
            IOException e = assertThrows(IOException.class, () -> hub.download("acme/tiny", "main", null, HubClient.DownloadProgress.SILENT));
            assertTrue(e.getMessage().contains("127.0.0.1:" + server.getLocalPort()), e.getMessage());
            assertFalse(e.getMessage().contains("null"), e.getMessage());
            server.close();
            t.join(5000);
        }
    }

    @Test
    void jtuneDownloadPrintsOneErrorLineWithoutNull() throws Exception {
        int port = closedPort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.jtune.cli.Main", "download", "acme/tiny")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(tmp.resolve("err.log").toFile());
        pb.environment().put("HF_ENDPOINT", "http://127.0.0.1:" + port);
        pb.environment().put("HF_HOME", tmp.resolve("hf").toString());
        pb.environment().remove("HF_HUB_CACHE");
        Process p = pb.start();
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        String err = java.nio.file.Files.readString(tmp.resolve("err.log")).strip();
        assertTrue(p.exitValue() == 1, err);
        assertTrue(err.startsWith("error: download of acme/tiny failed: cannot connect to 127.0.0.1:" + port), err);
        assertFalse(err.contains("\n") || err.contains("null"), err);
    }
}
