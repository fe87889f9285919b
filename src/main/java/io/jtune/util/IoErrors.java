package io.jtune.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns an I/O failure into one line a user can act on: the file it concerns and what went wrong
 * ("No space left on device", "permission denied"), never a class name or a bare path.
 */
public final class IoErrors {
    private IoErrors() {}

    /** The I/O failure inside {@code t} (itself or a cause), or null when there is none. */
    public static IOException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException io) return io;
            if (c instanceof UncheckedIOException u && u.getCause() != null) return u.getCause();
            if (c.getCause() == c) break;
        }
        return null;
    }

    /** One line: "FILE: reason" for file-system errors, the message otherwise. */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException fs && !(e instanceof WriteFailed)) {
            String file = fs.getFile();
            String reason = reason(fs);
            if (fs.getOtherFile() != null) return file + " -> " + fs.getOtherFile() + ": " + reason;
            return file == null ? reason : file + ": " + reason;
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** What went wrong, without the file names. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null && !fs.getReason().isBlank()) return fs.getReason();
        if (e instanceof NoSuchFileException) return "no such file or folder";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileAlreadyExistsException) return "already exists (and is not what was expected there)";
        if (e instanceof NotDirectoryException) return "not a folder";
        if (e instanceof DirectoryNotEmptyException) return "folder not empty";
        if (e instanceof FileSystemException) return "file system error (" + e.getClass().getSimpleName() + ")";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** A write that failed, named by the file that was being written. */
    public static final class WriteFailed extends FileSystemException {
        public WriteFailed(String file, IOException cause) {
            super(file, null, cause instanceof WriteFailed ? cause.getMessage() : "cannot write " + file + ": " + reason(cause));
            initCause(cause);
        }

        @Override
        public String getMessage() {
            return getReason();
        }
    }
}
