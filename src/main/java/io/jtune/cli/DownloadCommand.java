package io.jtune.cli;

import io.jtune.JtuneException;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.HubFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jtune download REPO_ID}: fetches a model's safetensors, configs and tokenizer files from the hub. */
@Command(name = "download",
        description = {"Download a model from the Hugging Face Hub into the HF cache (only safetensors, configs and tokenizer files).",
                "Honours HF_ENDPOINT (mirrors), HF_TOKEN (gated models), HF_HUB_CACHE / HF_HOME (cache folder).",
                "An interrupted download resumes where it stopped when run again."})
final class DownloadCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REPO_ID", description = "Repository id, e.g. Qwen/Qwen2.5-0.5B-Instruct")
    String repoId;

    @Option(names = "--revision", defaultValue = "main", description = "Branch, tag or commit (default: ${DEFAULT-VALUE})")
    String revision;

    @Option(names = "--local-dir", description = "Also copy the files into this folder and print it instead of the cache path")
    Path localDir;

    @Override
    public Integer call() {
        HubClient hub = HubClient.fromEnvironment();
        try {
            Path dir = hub.download(repoId, revision, localDir, new ConsoleProgress());
            System.out.println(dir);
            return 0;
        } catch (IOException e) {
            throw new JtuneException("download of " + repoId + " failed: " + io.jtune.util.IoErrors.describe(e), e);
        }
    }

    /** Prints one line per file; a download of several GB shows which file it is on. */
    private static final class ConsoleProgress implements HubClient.DownloadProgress {
        @Override
        public void start(String repoId, List<HubFile> files) {
            long total = files.stream().mapToLong(f -> Math.max(0, f.size())).sum();
            System.err.printf("Downloading %d files of %s (%.1f MB)%n", files.size(), repoId, total / 1e6);
        }

        @Override
        public void bytes(HubFile file, long n) {}

        @Override
        public void fileDone(HubFile file) {
            System.err.printf("  %s (%.1f MB)%n", file.path(), Math.max(0, file.size()) / 1e6);
        }
    }
}
