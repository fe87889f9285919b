package io.jtune.cli;

import io.jtune.serve.webui.WebUiServer;
import io.jtune.serve.webui.WebUiSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jtune webui}: LLaMA-Factory's {@code llamafactory-cli webui}, in the browser, without Python. */
@Command(name = "webui", description = {"Configure, run and watch training, chat, evaluate and export from the browser.",
        "Serves on http://127.0.0.1:7860 by default. The forms may name files under the working directory and the --root folders only.",
        "Ctrl-C stops the server (a running training saves a checkpoint first)."})
final class WebUiCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: ${DEFAULT-VALUE}); "
            + "anything but loopback needs --token.")
    String host = WebUiSettings.DEFAULT_HOST;

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port = WebUiSettings.DEFAULT_PORT;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Secret every request must carry (open the page with ?token=TOKEN); "
            + "required with a non-loopback --host. Without it a random one is made each start and printed in the URL. "
            + "Environment: JTUNE_WEBUI_TOKEN.")
    String token = System.getenv("JTUNE_WEBUI_TOKEN");

    @Option(names = "--root", paramLabel = "DIR", description = "A further folder the forms may use (models, datasets, outputs); repeatable.")
    List<Path> roots = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        WebUiSettings settings = new WebUiSettings(host, port, token == null || token.isBlank() ? null : token,
                Path.of("").toAbsolutePath(), roots);
        if (!settings.isLoopbackOnly()) {
            System.err.println("warning: listening on " + host + ": other machines can reach this web UI; requests need the token."
                    + " Traffic is plain HTTP: use it on trusted networks or behind a TLS proxy.");
        }
        WebUiServer server = WebUiServer.start(settings);
        System.out.println("jtune web UI on " + server.url() + " (working directory " + settings.workDir() + "); Ctrl-C stops it.");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "jtune-webui-stop"));
        stopped.await();
        return 0;
    }
}
