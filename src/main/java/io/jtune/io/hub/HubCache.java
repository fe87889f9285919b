package io.jtune.io.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The cache folder, laid out as Hugging Face's own hub cache so that models downloaded by Python
 * tools are found by jtune and the other way round:
 * <pre>
 *   {root}/models--{org}--{name}/blobs/{etag}                 file contents, named by sha256 or git blob id
 *   {root}/models--{org}--{name}/snapshots/{commit}/{path}    links to the blobs, one folder per commit
 *   {root}/models--{org}--{name}/refs/{revision}              the commit a branch or tag pointed to
 * </pre>
 */
public final class HubCache {
    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    /** HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub — the places huggingface_hub uses. */
    public static HubCache fromEnvironment() {
        String hubCache = System.getenv("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) return new HubCache(Path.of(hubCache));
        String hfHome = System.getenv("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) return new HubCache(Path.of(hfHome, "hub"));
        return new HubCache(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
    }

    public Path root() {
        return root;
    }

    public Path repoDir(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    public Path blob(String repoId, String etag) {
        return repoDir(repoId).resolve("blobs").resolve(etag);
    }

    public Path snapshot(String repoId, String commit) {
        return repoDir(repoId).resolve("snapshots").resolve(commit);
    }

    private Path ref(String repoId, String revision) {
        return repoDir(repoId).resolve("refs").resolve(revision);
    }

    /** The commit a revision resolved to when it was last downloaded; a commit hash resolves to itself. */
    public Optional<String> commitOf(String repoId, String revision) throws IOException {
        if (revision.matches("[0-9a-f]{40}")) return Optional.of(revision);
        Path ref = ref(repoId, revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        return Optional.of(Files.readString(ref, StandardCharsets.UTF_8).trim());
    }

    public void writeRef(String repoId, String revision, String commit) throws IOException {
        if (revision.equals(commit)) return;
        io.jtune.util.AtomicFiles.writeString(ref(repoId, revision), commit);
    }
}
