package io.jtune.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Confines the paths a browser may name to the working directory and the roots given with
 * {@code --root}. A relative path is read against the working directory. Both the path as written
 * (after removing "." and "..") and the real location of its deepest existing part (after following
 * symbolic links) must lie under one root, so neither "../.." nor a link out of a root escapes.
 */
public final class PathGuard {
    /** A Hugging Face hub id: owner/name, letters, digits, '-', '_', '.'. */
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}");

    private final Path workDir;
    private final List<Path> roots;
    private final String whose;
    private final String howToAllowMore;

    /** The web UI's guard: more roots come from `jtune webui --root`. */
    public PathGuard(Path workDir, List<Path> extraRoots) {
        this(workDir, extraRoots, "this web UI may use", "start `jtune webui` with --root to allow more");
    }

    /**
     * @param workDir where relative paths start; always allowed
     * @param extraRoots more allowed folders
     * @param whose what the refusal says the folders are for ("this web UI may use")
     * @param howToAllowMore what the refusal tells the user to do to allow another folder
     */
    public PathGuard(Path workDir, List<Path> extraRoots, String whose, String howToAllowMore) {
        this.whose = whose;
        this.howToAllowMore = howToAllowMore;
        this.workDir = realOrNormal(workDir.toAbsolutePath().normalize());
        List<Path> all = new ArrayList<>();
        all.add(this.workDir);
        for (Path r : extraRoots) all.add(realOrNormal(this.workDir.resolve(r).normalize()));
        this.roots = List.copyOf(all);
    }

    public Path workDir() {
        return workDir;
    }

    public List<Path> roots() {
        return roots;
    }

    /**
     * The absolute path {@code text} names, when it lies under a root.
     *
     * @throws IllegalArgumentException with a message for the user when it is empty, malformed or outside
     */
    public Path resolve(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("required");
        if (text.indexOf('\0') >= 0) throw new IllegalArgumentException("a path cannot contain a NUL character");
        if (text.codePoints().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a path cannot contain control characters (line breaks, tabs, escapes)");
        }
        Path p;
        try {
            p = workDir.resolve(text.trim()).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("not a valid path: " + e.getReason());
        }
        if (!under(p) || !under(realOfDeepestExisting(p))) {
            throw new IllegalArgumentException("'" + text.trim() + "' is outside the folders " + whose + " ("
                    + String.join(", ", roots.stream().map(Path::toString).toList()) + "); " + howToAllowMore);
        }
        return p;
    }

    /**
     * Checks a path the server itself composed (a dataset's file_name joined to dataset_dir, a file
     * of a dataset folder): as written and after following links, it must lie under a root.
     *
     * @param what how the message names it, e.g. "file_name of dataset 'x'"
     * @throws IllegalArgumentException saying which roots it leaves
     */
    public void confine(Path p, String what) {
        Path abs = workDir.resolve(p).normalize();
        if (!under(abs) || !under(realOfDeepestExisting(abs))) {
            throw new IllegalArgumentException(what + " leads outside the folders " + whose + " ("
                    + String.join(", ", roots.stream().map(Path::toString).toList()) + "); it is not read");
        }
    }

    /** A {@link io.jtune.data.source.DataFiles#FILE_CHECK} that refuses dataset files outside the roots. */
    public java.util.function.Consumer<Path> dataFileCheck() {
        return file -> {
            try {
                confine(file, String.valueOf(file));
            } catch (IllegalArgumentException e) {
                throw new io.jtune.JtuneException("refused: " + e.getMessage());
            }
        };
    }

    /** Like {@link #resolve} but the path must be an existing folder. */
    public Path existingDirectory(String text) {
        Path p = resolve(text);
        if (!Files.isDirectory(p)) throw new IllegalArgumentException("no such folder: " + text.trim());
        return p;
    }

    /** Whether {@code text} looks like a hub id (owner/name) rather than a local path that exists. */
    public boolean isHubId(String text) {
        if (text == null || !HUB_ID.matcher(text.trim()).matches() || text.contains("..")) return false;
        try {
            return !Files.exists(workDir.resolve(text.trim()));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private boolean under(Path p) {
        for (Path root : roots) if (p.startsWith(root)) return true;
        return false;
    }

    /** The real path of p's deepest existing ancestor (p itself when it exists), with the rest appended. */
    private static Path realOfDeepestExisting(Path p) {
        Path existing = p;
        Path rest = null;
        while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path name = existing.getFileName();
            rest = rest == null ? name : name.resolve(rest);
            existing = existing.getParent();
        }
        if (existing == null) return p;
        Path real = realOrNormal(existing);
        return rest == null ? real : real.resolve(rest).normalize();
    }

    private static Path realOrNormal(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }
}
