package io.jtune.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Every file jtune writes goes through here: written to a temporary file beside the target,
 * forced to disk, then renamed over the target, so a reader (or a run killed with -9) sees either
 * the old file or the complete new one, never half of one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes what {@code body} produces to {@code target} atomically. */
    /**
     * Writes what {@code body} produces to {@code target} atomically. A failure (a full disk, a folder
     * that cannot be written) leaves the old target as it was, removes the temporary file and is
     * reported as {@link IoErrors.WriteFailed}, whose message names the target.
     */
    public static void write(Path target, IoConsumer<OutputStream> body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            requireFolders(dir);
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            makeReadableByOthers(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new java.io.BufferedOutputStream(
                         injectedFault(target, java.nio.channels.Channels.newOutputStream(ch)), 1 << 20)) {
                body.accept(out);
                out.flush();
                ch.force(true);
            }
            moveIntoPlace(tmp, target);
            syncDirectory(dir);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new IoErrors.WriteFailed(target.toString(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** A file where a folder of the path should be: say so, rather than "already exists". */
    private static void requireFolders(Path dir) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) return;
            if (Files.exists(p)) throw new IOException(p + " is a file, not a folder");
        }
    }

    private static void deleteQuietly(Path tmp) {
        if (tmp == null) return;
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the temporary file stays behind; its name starts with a dot and ends in .tmp
        }
    }

    /**
     * Fault injection for the tests of full disks: with -Djtune.test.failWrite=NAME#K the K-th write
     * (counted from 1) of a file named NAME fails as a full disk does, after some bytes.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> WRITES =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static OutputStream injectedFault(Path target, OutputStream out) {
        String spec = System.getProperty("jtune.test.failWrite");
        if (spec == null) return out;
        int hash = spec.lastIndexOf('#');
        String name = hash < 0 ? spec : spec.substring(0, hash);
        int nth = hash < 0 ? 1 : Integer.parseInt(spec.substring(hash + 1));
        if (!target.getFileName().toString().equals(name)) return out;
        if (WRITES.computeIfAbsent(name, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet() != nth) return out;
        return new java.io.FilterOutputStream(out) {
            private long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (written + len > 64) throw new IOException("No space left on device");
                written += len;
                out.write(b, off, len);
            }
        };
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * Temporary files are created owner-only (0600); the finished file should have the permissions an
     * ordinary file gets (0644), so other users and tools can read what jtune wrote.
     */
    private static void makeReadableByOthers(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** Renames tmp over target atomically (falling back to a plain replace where the file system cannot). */
    public static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes a rename durable: fsync the directory that holds it (a no-op where the OS refuses). */
    public static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Some file systems cannot open directories; the rename is still atomic there.
        }
    }

    @FunctionalInterface
    public interface IoConsumer<T> {
        void accept(T t) throws IOException;
    }
}
