package io.jtune.io.hub;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns {@code model_name_or_path} into a local folder: a folder that exists is used as it is; a
 * hub id (ORG/NAME) is downloaded on first use and taken from the cache after that, with no network.
 * HF_HUB_OFFLINE=1 forbids the download, as it does for huggingface_hub.
 */
public final class ModelLocator {
    private final HubClient hub;
    private final boolean offline;

    public ModelLocator(HubClient hub, boolean offline) {
        this.hub = hub;
        this.offline = offline;
    }

    public static ModelLocator fromEnvironment() {
        String off = System.getenv("HF_HUB_OFFLINE");
        return new ModelLocator(HubClient.fromEnvironment(), off != null && (off.equals("1") || off.equalsIgnoreCase("true")));
    }

    public Path locate(String nameOrPath, String revision, HubClient.DownloadProgress progress) {
        Path asPath = Path.of(nameOrPath.startsWith("~/") ? System.getProperty("user.home") + nameOrPath.substring(1) : nameOrPath);
        if (Files.isDirectory(asPath)) return asPath;
        // a GGUF model file (llama.cpp, Ollama): the loaders open it with io.gguf.GgufModel
        if (Files.isRegularFile(asPath) && asPath.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) return asPath;
        if (!HubClient.isRepoId(nameOrPath) || nameOrPath.startsWith(".")) {
            throw new JtuneException("model_name_or_path: '" + nameOrPath + "' is neither an existing folder, a .gguf file nor a hub id (ORG/NAME)");
        }
        String rev = revision == null || revision.isBlank() ? "main" : revision;
        try {
            var cached = hub.cachedSnapshot(nameOrPath, rev);
            if (cached.isPresent()) return cached.get();
            if (offline) {
                throw new JtuneException("model_name_or_path: " + nameOrPath + "@" + rev + " is not in the cache at "
                        + hub.cache().root() + " and HF_HUB_OFFLINE is set; run `jtune download " + nameOrPath + "` where the hub is reachable");
            }
            return hub.download(nameOrPath, rev, null, progress);
        } catch (IOException e) {
            throw new JtuneException("model_name_or_path: could not download " + nameOrPath + ": " + HubHttp.describe(e), e);
        }
    }

}
