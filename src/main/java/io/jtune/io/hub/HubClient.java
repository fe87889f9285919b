package io.jtune.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Downloads model repositories from the Hugging Face Hub (or a mirror named by HF_ENDPOINT) into
 * the shared HF cache, fetching only the files jtune reads ({@link ModelFiles}).
 *
 * <p>Protocol, as the hub serves it: {@code GET /api/models/{repo}/revision/{rev}?blobs=true} gives
 * the commit and each file's size, git blob id and (for LFS files) sha256;
 * {@code GET /{repo}/resolve/{commit}/{path}} serves a file, large ones through a redirect.
 */
public final class HubClient {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubHttp http;
    private final HubCache cache;

    public HubClient(URI endpoint, String token, HubCache cache, Duration timeout) {
        this.http = new HubHttp(endpoint, token, timeout);
        this.cache = cache;
    }

    /** A client configured as huggingface_hub is: HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME. */
    public static HubClient fromEnvironment() {
        String endpoint = System.getenv().getOrDefault("HF_ENDPOINT", DEFAULT_ENDPOINT);
        if (endpoint.isBlank()) endpoint = DEFAULT_ENDPOINT;
        URI uri;
        try {
            uri = URI.create(endpoint.replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new JtuneException("HF_ENDPOINT is not a valid URL: " + endpoint);
        }
        return new HubClient(uri, System.getenv("HF_TOKEN"), HubCache.fromEnvironment(), Duration.ofSeconds(30));
    }

    public HubCache cache() {
        return cache;
    }

    public static boolean isRepoId(String s) {
        return REPO_ID.matcher(s).matches();
    }

    /** The commit a revision points to now, and the files of the repository at that commit. */
    public record Listing(String commit, List<HubFile> files) {}

    public Listing list(String repoId, String revision) throws IOException {
        checkRepoId(repoId);
        URI uri = http.endpoint().resolve("/api/models/" + repoId + "/revision/" + encode(revision) + "?blobs=true");
        String what = repoId + "@" + revision;
        JsonNode info;
        try (InputStream in = http.get(uri, 0, what).body()) {
            info = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new JtuneException(what + ": the hub's file listing is not valid JSON: " + e.getOriginalMessage());
        }
        String commit = info.path("sha").asText(null);
        if (commit == null || !info.path("siblings").isArray()) {
            throw new JtuneException(what + ": the hub's answer has no commit (sha) or file list (siblings)");
        }
        List<HubFile> files = new ArrayList<>();
        for (JsonNode s : info.get("siblings")) {
            JsonNode lfs = s.path("lfs");
            String sha = lfs.isObject() ? lfs.path("sha256").asText(null) : null;
            long size = s.has("size") ? s.get("size").asLong() : lfs.path("size").asLong(-1);
            files.add(new HubFile(s.path("rfilename").asText(), size, sha, s.path("blobId").asText(null)));
        }
        return new Listing(commit, files);
    }

    /**
     * Downloads what jtune needs of {@code repoId} at {@code revision} into the cache and returns the
     * snapshot folder; with {@code localDir} the files are also copied there, and that folder is returned.
     */
    public Path download(String repoId, String revision, Path localDir, DownloadProgress progress) throws IOException {
        Listing listing = list(repoId, revision);
        List<HubFile> needed = ModelFiles.select(listing.files());
        if (needed.stream().noneMatch(f -> f.path().endsWith(".safetensors"))) {
            throw new JtuneException(repoId + "@" + revision + " has no .safetensors weights; jtune reads safetensors only"
                    + " (files there: " + listing.files().stream().map(HubFile::path).limit(20).toList() + ")");
        }
        progress.start(repoId, needed);
        Path snapshot = cache.snapshot(repoId, listing.commit());
        BlobDownload blobs = new BlobDownload(http);
        for (HubFile f : needed) {
            Path link = snapshot.resolve(f.path());
            String etag = f.etag() != null ? f.etag() : "file-" + f.path();
            Path blob = cache.blob(repoId, etag);
            if (!Files.exists(blob)) {
                URI url = http.endpoint().resolve("/" + repoId + "/resolve/" + listing.commit() + "/" + encodePath(f.path()));
                blobs.fetch(url, f, blob, repoId + "/" + f.path(), n -> progress.bytes(f, n));
            }
            linkIntoSnapshot(blob, link);
            progress.fileDone(f);
        }
        cache.writeRef(repoId, revision, listing.commit());
        if (localDir == null) return snapshot;
        Files.createDirectories(localDir);
        for (HubFile f : needed) {
            Path target = localDir.resolve(f.path());
            Path tmp = localDir.resolve("." + f.path() + ".tmp");
            Files.copy(snapshot.resolve(f.path()), tmp, StandardCopyOption.REPLACE_EXISTING);
            io.jtune.util.AtomicFiles.moveIntoPlace(tmp, target);
        }
        return localDir;
    }

    /** The cached snapshot of a revision downloaded before, if it is complete enough to load (has config.json). */
    public java.util.Optional<Path> cachedSnapshot(String repoId, String revision) throws IOException {
        var commit = cache.commitOf(repoId, revision);
        if (commit.isEmpty()) return java.util.Optional.empty();
        Path snap = cache.snapshot(repoId, commit.get());
        return Files.isRegularFile(snap.resolve("config.json")) ? java.util.Optional.of(snap) : java.util.Optional.empty();
    }

    private static void linkIntoSnapshot(Path blob, Path link) throws IOException {
        Files.createDirectories(link.getParent());
        Path tmp = link.resolveSibling("." + link.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, link.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, tmp); // file systems without symlinks get a copy, as huggingface_hub does
        }
        io.jtune.util.AtomicFiles.moveIntoPlace(tmp, link);
    }

    private static void checkRepoId(String repoId) {
        if (!isRepoId(repoId)) {
            throw new JtuneException("'" + repoId + "' is not a hub repository id: expected ORG/NAME, e.g. Qwen/Qwen2.5-0.5B-Instruct");
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        return String.join("/", java.util.Arrays.stream(path.split("/")).map(HubClient::encode).toList());
    }

    /** What a download reports as it goes; {@link #SILENT} reports nothing. */
    public interface DownloadProgress {
        void start(String repoId, List<HubFile> files);
        void bytes(HubFile file, long n);
        void fileDone(HubFile file);

        DownloadProgress SILENT = new DownloadProgress() {
            @Override public void start(String repoId, List<HubFile> files) {}
            @Override public void bytes(HubFile file, long n) {}
            @Override public void fileDone(HubFile file) {}
        };
    }

}
