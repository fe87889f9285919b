package io.jtune.cli;

import io.jtune.quickstart.Quickstart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jtune quickstart}: a complete offline fine-tuning on a model it makes itself. */
@Command(name = "quickstart", description = {
        "Offline quickstart: make a small base model and fine-tune it with LoRA on the bundled support-assistant dataset.",
        "It compares the answers before and after, and exports the merged model. Needs no download."})
final class QuickstartCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "saves/quickstart", description = "Where the models go (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws Exception {
        Path root = Path.of(System.getProperty("jtune.home", "."));
        if (!Files.isRegularFile(root.resolve("data/support_shop.json"))) {
            throw new io.jtune.JtuneException("quickstart: data/support_shop.json not found under " + root.toAbsolutePath()
                    + "; run it from the jtune folder (./jtune quickstart)");
        }
        new Quickstart(root, dir, Quickstart.Plan.standard(), System.out).run();
        return 0;
    }
}
