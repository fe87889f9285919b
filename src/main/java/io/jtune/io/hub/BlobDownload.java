package io.jtune.io.hub;

import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Downloads one file into the cache: into {@code blob.incomplete} first, resuming from what is
 * already there (an HTTP range request) after an interrupted transfer, then checks size and sha256
 * and renames the file into place. A blob in the cache is therefore always complete and verified.
 */
final class BlobDownload {
    /** How many interrupted transfers of one file are resumed before giving up. */
    static final int MAX_ATTEMPTS = 5;

    private final HubHttp http;

    BlobDownload(HubHttp http) {
        this.http = http;
    }

    void fetch(URI url, HubFile file, Path blob, String what, LongConsumer progress) throws IOException {
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        Files.createDirectories(blob.getParent());
        IOException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            if (file.size() >= 0 && have > file.size()) {
                Files.delete(partial); // longer than the file can be: not ours to resume
                have = 0;
            }
            try {
                if (file.size() < 0 || have < file.size()) transfer(url, partial, have, what, progress);
                verifyAndPublish(partial, blob, file, what);
                return;
            } catch (IOException e) {
                last = e; // an interrupted transfer: resume from what arrived
            }
        }
        throw new JtuneException(what + ": the download failed " + MAX_ATTEMPTS + " times (last error: " + HubHttp.describe(last)
                + "). Run the same command again to resume.", last);
    }

    private void transfer(URI url, Path partial, long have, String what, LongConsumer progress) throws IOException {
        HttpResponse<InputStream> resp = http.get(url, have, what);
        boolean resumed = resp.statusCode() == 206;
        StandardOpenOption mode = resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try (InputStream in = resp.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                progress.accept(n);
            }
        }
    }

    private static void verifyAndPublish(Path partial, Path blob, HubFile file, String what) throws IOException {
        long size = Files.size(partial);
        if (file.size() >= 0 && size != file.size()) {
            throw new IOException("got " + size + " of " + file.size() + " bytes");
        }
        if (file.sha256() != null) {
            String actual = sha256(partial);
            if (!actual.equalsIgnoreCase(file.sha256())) {
                Files.delete(partial);
                throw new JtuneException(what + ": sha256 mismatch (expected " + file.sha256() + ", got " + actual
                        + "); the partial file was removed, run again to download it anew");
            }
        }
        AtomicFiles.moveIntoPlace(partial, blob);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
